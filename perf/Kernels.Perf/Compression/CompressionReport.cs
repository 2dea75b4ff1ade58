using System.Globalization;
using System.Text;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using Kernels.Perf.Report;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Kernels.Perf.Compression;

/// <summary>
/// The compression group's part of the report: summary rows, a section with the top-k and PowerSGD timings (the 1-bit
/// bandwidth tables come from the generic kernel-family tables, since they carry a STREAM limit), and a chart of the speed-ups.
/// </summary>
public static class CompressionReport
{
    /// <summary>Issue targets the ratios are judged by: 1-bit at >= 80% of STREAM, top-k >= 5x a sort, PowerSGD >= 1x OpenBLAS.</summary>
    private const double TopKTarget = 5, PowerSgdTarget = 1;

    public static IEnumerable<Headline> Headlines(ResultSet results)
    {
        foreach ((string family, string title, string limit, string note) in new[]
        {
            (CompressionFamilies.OneBitCompressEf, "1-bit compress + EF14 update f32", "triad", ""),
            (CompressionFamilies.OneBitDecompress, "1-bit decompress f32", "copy", " (non-temporal stores from 6 MiB per call)"),
        })
        {
            List<Measurement> cases = results.Ours(family, "f32").Where(m => m.Ran).ToList();
            if (cases.Count > 0)
            {
                yield return new Headline(title, string.Join(" · ", cases.Select(m =>
                    $"{KernelSizes.Label(m.SizeBytes)}: {HeadlineFigures.Percent(results.PercentOfLimit(m))}")),
                    $"% of STREAM {limit} (all cores, timed in turns); target >= 80%{note}");
            }
        }
        foreach (Measurement sort in TopK(results, CompressionFamilies.StdSort))
        {
            yield return new Headline($"top-k exact, 1% of {Elements(sort)} f32 vs sorting the magnitudes",
                HeadlineFigures.Ratio(SpeedUp(results, sort, CompressionFamilies.TopKExact)),
                $"std::sort of magnitudes (native, 1 thread) time / ours (1 thread); target >= {TopKTarget}x");
            yield return new Headline($"top-k sampled (1% sample), 1% of {Elements(sort)} f32 vs sorting the magnitudes",
                HeadlineFigures.Ratio(SpeedUp(results, sort, CompressionFamilies.TopKSampled)), "std::sort of magnitudes time / ours");
        }
        List<(Measurement Ours, Measurement Blas)> powerSgd = PowerSgdPairs(results);
        if (powerSgd.Count > 0)
        {
            yield return new Headline($"PowerSGD step {powerSgd[0].Ours.Shape} vs OpenBLAS",
                string.Join(" · ", powerSgd.Select(p => $"{p.Ours.Threads} thread{(p.Ours.Threads > 1 ? "s" : "")}: {HeadlineFigures.Ratio(p.Blas.Seconds / p.Ours.Seconds)}")),
                $"OpenBLAS sgemm products time / ours, same thread count; target >= {PowerSgdTarget}x");
        }
        foreach (Headline exchange in TopKExchangeReport.Headlines(results))
        {
            yield return exchange;
        }
        foreach (Headline convergence in ConvergenceReport.Headlines(results))
        {
            yield return convergence;
        }
    }

    public static string Section(ResultSet results)
    {
        List<Measurement> timed = results.All.Where(m => m.Family is CompressionFamilies.TopK or CompressionFamilies.PowerSgd).ToList();
        if (timed.Count == 0)
        {
            return TopKExchangeReport.Section(results) + ConvergenceReport.Section(results);
        }
        var md = new StringBuilder();
        md.AppendLine("## Compression: top-k and PowerSGD").AppendLine();
        md.AppendLine("Top-k keeps 1% of the elements by magnitude: exact (radix select) and sampled threshold (a 1% sample, Deep Gradient " +
            "Compression), through `TopK.Compress`, against `std::sort` of the magnitudes copied into a scratch buffer (perf/native, one thread; " +
            "what selection replaces). PowerSGD is one `PowerSgd.Compress` step at rank 4 (P = M Q, modified Gram-Schmidt, Q = M^T P, warm " +
            "start) against the same steps with OpenBLAS `cblas_sgemm` for the two products, at one thread and at every core " +
            "(`KernelThreading.MaxDegreeOfParallelism` for ours, `openblas_set_num_threads` for OpenBLAS). The last column is each row's " +
            "time over Kernels' at the same thread count (exact top-k for top-k): above 1, Kernels is faster.").AppendLine();
        md.AppendLine("| Case | Shape | Implementation | Threads | ms per call | Time / Kernels time |").AppendLine("|---|---|---|---|---|---|");
        foreach (Measurement m in timed)
        {
            string reference = m.Family == CompressionFamilies.TopK ? CompressionFamilies.TopKExact : Implementations.Ours;
            Measurement? ours = timed.FirstOrDefault(o => o.Family == m.Family && o.Implementation == reference && o.Threads == m.Threads);
            string ratio = ours is null || m.Implementation == reference ? "" : HeadlineFigures.Ratio(m.Seconds / ours.Seconds);
            md.AppendLine($"| {m.Family} | {m.Shape} | {m.Implementation} | {m.Threads} | {Number(m.Value)} | {ratio} |");
        }
        md.AppendLine();
        return md.ToString() + TopKExchangeReport.Section(results) + ConvergenceReport.Section(results);
    }

    /// <summary>Writes compression_speedups.png when top-k or PowerSGD ran, and the convergence charts; returns the file names written.</summary>
    public static IReadOnlyList<string> WriteCharts(string folder, ResultSet results, int width, int height) =>
        [.. SpeedUpChart(folder, results, width, height), .. ConvergenceReport.WriteCharts(folder, results, width, height)];

    private static IReadOnlyList<string> SpeedUpChart(string folder, ResultSet results, int width, int height)
    {
        var bars = new List<(string Label, double SpeedUp, double Target)>();
        foreach (Measurement sort in TopK(results, CompressionFamilies.StdSort))
        {
            bars.Add(("top-k exact vs std::sort", SpeedUp(results, sort, CompressionFamilies.TopKExact), TopKTarget));
            bars.Add(("top-k sampled vs std::sort", SpeedUp(results, sort, CompressionFamilies.TopKSampled), TopKTarget));
        }
        foreach ((Measurement ours, Measurement blas) in PowerSgdPairs(results))
        {
            bars.Add(($"PowerSGD vs OpenBLAS ({ours.Threads} thread{(ours.Threads > 1 ? "s" : "")})", blas.Seconds / ours.Seconds, PowerSgdTarget));
        }
        if (bars.Count == 0)
        {
            return [];
        }
        var plot = new Plot();
        IPalette palette = new ScottPlot.Palettes.Category10();
        // Value labels: the ratios differ by 50x, so the small ones would be unreadable from the bar alone.
        plot.Add.Bars(bars.Select((b, i) => new Bar
        {
            Position = i,
            Value = double.IsNaN(b.SpeedUp) ? 0 : b.SpeedUp,
            FillColor = palette.GetColor(i),
            Label = HeadlineFigures.Ratio(b.SpeedUp),
        }).ToList());
        foreach ((var bar, int i) in bars.Select((b, i) => (b, i)))
        {
            var target = plot.Add.Line(i - 0.4, bar.Target, i + 0.4, bar.Target);
            target.LinePattern = LinePattern.Dashed;
            target.LineWidth = 2;
            target.Color = Colors.Black;
        }
        plot.Axes.Bottom.TickGenerator = new NumericManual(bars.Select((_, i) => (double)i).ToArray(), bars.Select(b => b.Label).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title("Compression: speed-up over the peer (higher is better; dashed: the target)");
        plot.YLabel("peer time / Kernels time");
        const string file = "compression_speedups.png";
        plot.SavePng(Path.Combine(folder, file), width, height);
        return [file];
    }

    private static IEnumerable<Measurement> TopK(ResultSet results, string implementation) =>
        results.All.Where(m => m.Family == CompressionFamilies.TopK && m.Implementation == implementation && m.Ran);

    private static double SpeedUp(ResultSet results, Measurement peer, string implementation) =>
        results.Find(CompressionFamilies.TopK, peer.DType, peer.SizeBytes, implementation) is { Ran: true } ours
            ? peer.Seconds / ours.Seconds
            : double.NaN;

    /// <summary>Ours and OpenBLAS at each thread count both ran at, fewest threads first.</summary>
    private static List<(Measurement Ours, Measurement Blas)> PowerSgdPairs(ResultSet results)
    {
        List<Measurement> runs = results.All.Where(m => m.Family == CompressionFamilies.PowerSgd && m.Ran).ToList();
        return runs.Where(m => m.Implementation == Implementations.Ours)
            .Select(ours => (Ours: ours, Blas: runs.FirstOrDefault(b => b.Implementation == CompressionFamilies.OpenBlas && b.Threads == ours.Threads)))
            .Where(pair => pair.Blas is not null)
            .Select(pair => (pair.Ours, pair.Blas!))
            .OrderBy(pair => pair.Ours.Threads)
            .ToList();
    }

    /// <summary>"16M" for 16 Mi floats.</summary>
    private static string Elements(Measurement m) => $"{m.SizeBytes / sizeof(float) >> 20}M";

    private static string Number(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture);
}
