using System.Globalization;
using System.Text;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using Kernels.Perf.Report;
using ScottPlot;

namespace Kernels.Perf.Attention;

/// <summary>
/// The attention group's part of the report: summary rows (the issue's targets: forward f32 d=128 s=4096 >= 60% of the FMA
/// peak, >= 1.5x ORT, >= 2x OpenBLAS; backward >= 40% of peak; ring overlap >= 80%), a section of tables, and a chart.
/// </summary>
public static class AttentionReport
{
    private const int HeadlineSeq = 4096, HeadlineDim = 128;

    public static IEnumerable<Headline> Headlines(ResultSet results)
    {
        foreach (bool causal in new[] { false, true })
        {
            Measurement? ours = Find(results, AttentionFamilies.Forward, "f32", HeadlineSeq, HeadlineDim, causal, Implementations.Ours);
            if (ours is not { Ran: true })
            {
                continue;
            }
            string title = $"attention forward f32 d={HeadlineDim} s={HeadlineSeq}{(causal ? " causal" : "")}";
            yield return new Headline($"{title}, % of FMA peak", $"{HeadlineFigures.Percent(PercentOfPeak(results, ours))} ({ours.Value:0} GFLOP/s)",
                "GFLOP/s (4bhs^2d, halved causal) / widest FMA peak taking turns with the case, all cores; target >= 60%");
            yield return new Headline($"{title} vs ONNX Runtime", SpeedUp(results, ours, Implementations.OnnxRuntime),
                "ORT com.microsoft MultiHeadAttention time / ours, same threads; target >= 1.5x");
            yield return new Headline($"{title} vs OpenBLAS", SpeedUp(results, ours, AttentionFamilies.OpenBlas),
                "OpenBLAS sgemm + softmax (materialised) time / ours, same threads; target >= 2x");
        }
        foreach (bool causal in new[] { false, true })
        {
            Measurement? ours = Find(results, AttentionFamilies.Backward, "f32", HeadlineSeq, HeadlineDim, causal, Implementations.Ours);
            if (ours is { Ran: true })
            {
                yield return new Headline($"attention backward f32 d={HeadlineDim} s={HeadlineSeq}{(causal ? " causal" : "")}, % of FMA peak",
                    $"{HeadlineFigures.Percent(PercentOfPeak(results, ours))} ({ours.Value:0} GFLOP/s)",
                    "2.5 x forward FLOPs / widest FMA peak taking turns with the case, all cores; target >= 40%");
            }
        }
        foreach (Measurement ring in results.All.Where(m => m.Family == AttentionFamilies.Ring && m.Ran))
        {
            yield return new Headline($"ring attention {ring.Shape}", $"{ring.Value:0.0}% ({ring.Seconds * 1e3:0} ms per step)",
                "compute time / step time, mean of the ranks; target >= 80%");
        }
    }

    public static string Section(ResultSet results)
    {
        List<Measurement> all = results.All.Where(m => m.Group == AttentionFamilies.Group).ToList();
        if (all.Count == 0)
        {
            return "";
        }
        var md = new StringBuilder();
        md.AppendLine("## Attention").AppendLine();
        md.AppendLine("FlashAttention (`FlashAttention.Forward`/`Backward`, batch 1, heads x seq^2 held constant so short sequences still fill " +
            "the cores). GFLOP/s = 4 b h s_q s_k d / time, halved under a causal mask; the backward counts 2.5x the forward's FLOPs. " +
            "% of peak is against the widest FMA probe at the same thread count, run as one more contender taking turns with the " +
            "case (the load of the shared machines changes within seconds). Peers (f32 only, same buffers and threads, taking " +
            "turns): ONNX Runtime's com.microsoft `MultiHeadAttention` (one-node model, `unidirectional` for causal; without a mask ORT runs " +
            "MLAS's flash attention, the same FLOPs in SGEMM blocks, and with `unidirectional` its unfused path, which computes every " +
            "score) and softmax(QK^T)V " +
            "materialised with OpenBLAS `cblas_sgemm` (perf/native/attention_peers.cpp; the causal peer still computes every score). " +
            "The speed-up columns are peer time / Kernels time.").AppendLine();
        md.AppendLine("| Pass | Type | Case | Kernels GFLOP/s | % of FMA peak | ORT GFLOP/s | vs ORT | OpenBLAS GFLOP/s | vs OpenBLAS |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (Measurement ours in all.Where(m => m.Family is AttentionFamilies.Forward or AttentionFamilies.Backward &&
                     m.Implementation == Implementations.Ours))
        {
            Measurement? ort = Peer(results, ours, Implementations.OnnxRuntime), blas = Peer(results, ours, AttentionFamilies.OpenBlas);
            md.AppendLine($"| {(ours.Family == AttentionFamilies.Forward ? "forward" : "backward")} | {ours.DType} | {ours.Shape} | " +
                $"{Number(ours.Value)} | {HeadlineFigures.Percent(PercentOfPeak(results, ours))} | {PeerCell(ort)} | " +
                $"{(ort is null ? "" : SpeedUp(results, ours, ort.Implementation))} | {PeerCell(blas)} | " +
                $"{(blas is null ? "" : SpeedUp(results, ours, blas.Implementation))} |");
        }
        md.AppendLine();

        AppendHeadToHead(md, all, AttentionFamilies.Decode, AttentionFamilies.SplitKv, AttentionFamilies.NoSplit,
            "Batch-1 decode (one query row per head): the library's split-KV path (key ranges of 1024 in parallel, merged " +
            "exactly) against the same call forced to one pass (an output with a non-dense batch stride).",
            "| Case | split-KV, us | one pass, us | speed-up |");
        AppendHeadToHead(md, all, AttentionFamilies.Varlen, AttentionFamilies.PackedOneLoop, AttentionFamilies.PerSequence,
            "Packed variable-length batches (`FlashAttention.ForwardVarlen`: the query tiles of every sequence and head in one " +
            "parallel loop) against one `FlashAttention.Forward` call per sequence, on the same buffers, taking turns.",
            "| Case | varlen GFLOP/s | per-sequence GFLOP/s | speed-up |");

        List<Measurement> ring = all.Where(m => m.Family == AttentionFamilies.Ring).ToList();
        if (ring.Count > 0)
        {
            md.AppendLine("Ring attention (`RingAttention`, zigzag layout) at 2 ranks — threads of one process, or processes over shared " +
                "memory — each on half the threads: time per ring " +
                "step and overlap efficiency = compute time / step time (`RingTimings`; the K/V hop runs on the communicator's worker " +
                "thread during the compute), mean of the ranks.").AppendLine();
            md.AppendLine("| Case | Threads per rank | ms per step | overlap |").AppendLine("|---|---|---|---|");
            foreach (Measurement m in ring)
            {
                md.AppendLine($"| {m.Shape} | {m.Threads} | {Number(m.Seconds * 1e3)} | {Number(m.Value)}% |");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    /// <summary>Writes attention_forward_f32.png (GFLOP/s by sequence length, d = 128, with the FMA peak) when the forward ran.</summary>
    public static IReadOnlyList<string> WriteCharts(string folder, ResultSet results, int width, int height)
    {
        List<Measurement> forward = results.All.Where(m => m.Family == AttentionFamilies.Forward && m.DType == "f32" && m.Ran &&
            m.Shape.Contains($"d={HeadlineDim} ")).ToList();
        if (forward.Count == 0)
        {
            return [];
        }
        var plot = new Plot();
        IPalette palette = new ScottPlot.Palettes.Category10();
        int color = 0;
        foreach (var series in forward.GroupBy(m => (m.Implementation, Causal: m.Shape.EndsWith("causal"))))
        {
            List<Measurement> points = series.OrderBy(m => Seq(m)).ToList();
            var line = plot.Add.Scatter(points.Select(m => Math.Log2(Seq(m))).ToArray(), points.Select(m => m.Value).ToArray());
            line.LegendText = $"{series.Key.Implementation}{(series.Key.Causal ? " causal" : "")}";
            line.Color = palette.GetColor(color++);
            line.LinePattern = series.Key.Causal ? LinePattern.Dashed : LinePattern.Solid;
        }
        double peak = Peak(results, forward[0].Threads);
        if (!double.IsNaN(peak))
        {
            var limit = plot.Add.HorizontalLine(peak);
            limit.LegendText = $"FMA peak ({peak:0} GFLOP/s)";
            limit.Color = Colors.Black;
        }
        double[] ticks = forward.Select(m => Math.Log2(Seq(m))).Distinct().Order().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks,
            ticks.Select(t => Math.Pow(2, t).ToString("0", CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimitsY(0, 1.1 * Math.Max(double.IsNaN(peak) ? 0 : peak, forward.Max(m => m.Value)));
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.Title($"Attention forward f32, d = {HeadlineDim}: GFLOP/s by sequence length (higher is better)");
        plot.XLabel("sequence length");
        plot.YLabel("GFLOP/s");
        plot.ShowLegend();
        const string file = "attention_forward_f32.png";
        plot.SavePng(Path.Combine(folder, file), width, height);
        return [file];
    }

    /// <summary>
    /// A table of one family's cases: <paramref name="ours"/> against <paramref name="other"/> on the same shape, with the
    /// speed-up other time / our time; nothing when the family was not run.
    /// </summary>
    private static void AppendHeadToHead(StringBuilder md, List<Measurement> all, string family, string ours, string other,
        string introduction, string header)
    {
        List<Measurement> cases = all.Where(m => m.Family == family).ToList();
        if (cases.Count == 0)
        {
            return;
        }
        md.AppendLine(introduction).AppendLine();
        md.AppendLine(header).AppendLine("|---|---|---|---|");
        foreach (Measurement mine in cases.Where(m => m.Implementation == ours))
        {
            Measurement? theirs = cases.FirstOrDefault(m => m.Implementation == other && m.Shape == mine.Shape);
            md.AppendLine($"| {mine.Shape} | {Number(mine.Value)} | {Number(theirs?.Value ?? double.NaN)} | " +
                $"{HeadlineFigures.Ratio(theirs is null ? double.NaN : theirs.Seconds / mine.Seconds)} |");
        }
        md.AppendLine();
    }

    private static Measurement? Find(ResultSet results, string family, string dtype, int seq, int dim, bool causal, string implementation) =>
        results.All.FirstOrDefault(m => m.Family == family && m.DType == dtype && m.Implementation == implementation &&
            Seq(m) == seq && m.Shape.Contains($"d={dim} ") && m.Shape.EndsWith("causal") == causal);

    private static Measurement? Peer(ResultSet results, Measurement ours, string implementation) =>
        results.All.FirstOrDefault(m => m.Family == ours.Family && m.DType == ours.DType && m.Shape == ours.Shape && m.Implementation == implementation);

    private static string SpeedUp(ResultSet results, Measurement ours, string implementation)
    {
        Measurement? peer = Peer(results, ours, implementation);
        if (peer is null)
        {
            return "n/a";
        }
        return peer.Ran ? HeadlineFigures.Ratio(peer.Seconds / ours.Seconds) : $"n/a ({peer.Note})";
    }

    private static string PeerCell(Measurement? peer) => peer is null ? "" : peer.Ran ? Number(peer.Value) : "n/a";

    /// <summary>Against the FMA probe that took turns with the case when it ran, else the machine/fma item of the run.</summary>
    private static double PercentOfPeak(ResultSet results, Measurement m) =>
        100 * m.Value / (Peer(results, m, AttentionFamilies.FmaPeakInTurns) is { Ran: true } inTurns ? inTurns.Value : Peak(results, m.Threads));

    /// <summary>The widest FMA probe's GFLOP/s at <paramref name="threads"/>: the kernels dispatch to the widest vectors.</summary>
    private static double Peak(ResultSet results, int threads) =>
        results.FmaIsas().Select(isa => results.FmaPeak(isa, threads)).Where(p => !double.IsNaN(p)).DefaultIfEmpty(double.NaN).Max();

    /// <summary>The sequence length in a "s=4096 d=128 h=1" label.</summary>
    private static int Seq(Measurement m) => int.Parse(m.Shape.Split(' ')[0][2..], CultureInfo.InvariantCulture);

    private static string Number(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
