using System.Globalization;
using System.Text;
using Kernels.Perf.Compression.Convergence;
using Kernels.Perf.Core;
using Kernels.Perf.Report;
using ScottPlot;

namespace Kernels.Perf.Compression;

/// <summary>
/// The convergence experiments in the report: per setup a table (final loss and its gap to dense, test accuracy, bytes per step and
/// the ratio to dense) and a loss-curve chart; a summary row per setup judged by the issue's parity rules.
/// </summary>
internal static class ConvergenceReport
{
    /// <summary>The issue's targets: EF14 within 1% of dense; 1-bit Adam within 1% of Adam with >= 5x fewer bytes after warm-up.</summary>
    private const double ParityTarget = 0.01, OneBitAdamBytesTarget = 5;

    public static IEnumerable<Headline> Headlines(ResultSet results)
    {
        foreach ((string setup, List<Measurement> runs) in Setups(results))
        {
            double dense = Loss(runs, TrainingMethod.Dense.Label);
            double worstEf = runs.Where(m => m.Implementation.EndsWith("+ EF14", StringComparison.Ordinal)).Select(m => m.Value / dense - 1).DefaultIfEmpty(double.NaN).Max();
            double topKNoEf = Loss(runs, TrainingMethod.TopK(0.01, false).Label) / dense - 1;
            double oneBitNoEf = Loss(runs, TrainingMethod.OneBit(false).Label) / dense - 1;
            Measurement? adam = Find(runs, TrainingMethod.Adam.Label), oneBitAdam = Find(runs, TrainingMethod.OneBitAdam.Label);
            string adamFigures = adam is null || oneBitAdam is null ? "n/a"
                : $"{Gap(oneBitAdam.Value / adam.Value - 1)} loss, {HeadlineFigures.Ratio(adam.BytesMoved / (ConvergenceNote.Read(oneBitAdam.Note)?.BytesAfterWarmUp ?? double.NaN))} fewer bytes after warm-up";
            yield return new Headline($"Convergence {setup}",
                $"EF14 worst {Gap(worstEf)} vs dense · no EF: top-k 1% {Gap(topKNoEf)}, 1-bit {Gap(oneBitNoEf)} · 1-bit Adam vs Adam: {adamFigures}",
                $"final training loss vs dense (4 ranks); target: EF14 within {ParityTarget * 100:0}%, no EF measurably worse, 1-bit Adam within {ParityTarget * 100:0}% with >= {OneBitAdamBytesTarget}x fewer bytes");
        }
    }

    public static string Section(ResultSet results)
    {
        List<(string Setup, List<Measurement> Runs)> setups = Setups(results).ToList();
        if (setups.Count == 0) return "";
        var md = new StringBuilder();
        md.AppendLine("## Compression: convergence").AppendLine();
        md.AppendLine("Data-parallel training over 4 in-process ranks (threads of one job, `CompressedAllReduce` and `OneBitAdam` over a " +
            "`Communicator`), fixed seeds: batches of 16 rows per rank sampled from the rank's shard; SGD at 0.5 with a cosine decay to 0 (the ranks " +
            "exchange gradients, so EF14's memory holds gradient mass, applied at the rate of the step that sends it), Adam and " +
            "1-bit Adam at 0.01 with the same cosine decay (with a constant rate their final losses were noise: the digits MLP's moved by 2-4% " +
            "between the last curve points, and 1-bit Adam's gap to Adam went from +2.5% to -2.5% across seeds) and eps 1e-3 " +
            "(1-bit Adam's warm-up: the first fifth of the steps; with eps 1e-8 the weights of the digits' " +
            "always-blank pixels, whose only gradient is the tiny L2 term, are thrown off by the 1-bit momentum noise divided by their " +
            "frozen sqrt(v)). Length: every method of a setup trains for the same number of epochs, those at which dense converged: doubling " +
            $"from {TrainingLength.FirstEpochs} epochs until dense's final loss moves less than {TrainingLength.DenseTolerance:P1} when the length " +
            "doubles (the cosine schedule stretched to each length); nothing is tuned per compressor. Top-k and 1-bit (256-element chunks) compress the " +
            "flat gradient; PowerSGD each weight matrix, with the biases all-reduced densely. Loss: the training objective (mean " +
            "cross-entropy + L2) on all training rows; accuracy on the held-out 20%. Bytes: sent per step by one rank as payload on the " +
            "links (ring all-reduce 2(n-1)/n of the buffer, all-gather (n-1) x the own block, all-to-all each block once). " +
            "Data: the digits set (1797 x 64, sklearn's copy from Debian's python3-sklearn) and a Gaussian mixture (1000 x 64, 10 classes).").AppendLine();
        foreach ((string setup, List<Measurement> runs) in setups)
        {
            double dense = Loss(runs, TrainingMethod.Dense.Label);
            double denseBytes = runs.Select(m => ConvergenceNote.Read(m.Note)?.DenseBytes ?? double.NaN).FirstOrDefault();
            int epochs = ConvergenceNote.Read(runs[0].Note)?.Epochs ?? 0;
            md.AppendLine($"### {setup} ({runs[0].Calls} steps{(epochs > 0 ? $" = {epochs} epochs" : "")}, {runs[0].SizeBytes / sizeof(float)} parameters)").AppendLine();
            md.AppendLine("| Method | Final loss | vs dense | Test accuracy | Bytes / step | after warm-up | Dense / sent |").AppendLine("|---|---|---|---|---|---|---|");
            foreach (Measurement m in runs)
            {
                ConvergenceNote? note = ConvergenceNote.Read(m.Note);
                double afterWarmUp = note?.BytesAfterWarmUp ?? double.NaN;
                md.AppendLine($"| {m.Implementation} | {m.Value:0.0000} | {Gap(m.Value / dense - 1)} | {note?.Accuracy:P1} | {m.BytesMoved:N0} | " +
                    $"{afterWarmUp:N0} | {HeadlineFigures.Ratio(denseBytes / afterWarmUp)} |");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    /// <summary>One loss-curve chart per setup; returns the file names.</summary>
    public static IReadOnlyList<string> WriteCharts(string folder, ResultSet results, int width, int height)
    {
        var files = new List<string>();
        foreach ((string setup, List<Measurement> runs) in Setups(results))
        {
            var plot = new Plot();
            IPalette palette = new ScottPlot.Palettes.Category20();
            int color = 0;
            double highest = 0, lowest = double.MaxValue;
            foreach (Measurement m in runs)
            {
                if (ConvergenceNote.Read(m.Note) is not { } note || note.CurveSteps.Length == 0) continue;
                var line = plot.Add.ScatterLine(note.CurveSteps.Select(s => (double)s).ToArray(), note.CurveLosses);
                line.LegendText = m.Implementation;
                line.Color = palette.GetColor(color++);
                line.LineWidth = m.Implementation == TrainingMethod.Dense.Label ? 3 : 1.5f;
                if (m.Implementation.Contains("no EF", StringComparison.Ordinal)) line.LinePattern = LinePattern.Dashed;
                highest = Math.Max(highest, note.CurveLosses.Skip(1).DefaultIfEmpty(note.CurveLosses[0]).Max());
                lowest = Math.Min(lowest, note.CurveLosses.Min());
            }
            // The first point (the untrained model) is far above the rest: the axis starts at the second so the endings can be told apart.
            plot.Axes.SetLimitsY(lowest * 0.95, highest * 1.05);
            plot.Title($"Convergence: {setup} (4 ranks; dashed: no error feedback)");
            plot.XLabel("step");
            plot.YLabel("training loss");
            plot.ShowLegend(Alignment.UpperRight);
            string file = $"convergence_{Slug(setup)}.png";
            plot.SavePng(Path.Combine(folder, file), width, height);
            files.Add(file);
        }
        return files;
    }

    private static IEnumerable<(string Setup, List<Measurement> Runs)> Setups(ResultSet results) =>
        results.All.Where(m => m.Family == CompressionFamilies.Convergence && m.Ran).GroupBy(m => m.Shape).Select(g => (g.Key, g.ToList()));

    private static Measurement? Find(List<Measurement> runs, string method) => runs.FirstOrDefault(m => m.Implementation == method);

    private static double Loss(List<Measurement> runs, string method) => Find(runs, method)?.Value ?? double.NaN;

    private static string Gap(double fraction) =>
        double.IsNaN(fraction) ? "n/a" : (fraction >= 0 ? "+" : "") + (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Slug(string setup) =>
        new string(setup.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray()).Replace("___", "_");
}
