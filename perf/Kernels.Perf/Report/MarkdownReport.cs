using System.Globalization;
using System.Text;
using Kernels.Perf.Attention;
using Kernels.Perf.Collectives;
using Kernels.Perf.Compression;
using Kernels.Perf.Cuda;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;

namespace Kernels.Perf.Report;

/// <summary>report.md: the machine and its limits, the headline table, then one table per kernel family.</summary>
public static class MarkdownReport
{
    public static string Render(RunInfo run, ResultSet results, IReadOnlyList<Headline> headlines, IReadOnlyList<string> charts,
        IReadOnlyList<string> failures)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Kernels performance — {run.StartedUtc}").AppendLine();
        md.AppendLine("Every figure is a ratio against a limit or a peer measured in this run on this machine (DESIGN.md §9).")
            .AppendLine("Speed-up = peer time / Kernels time at the same case: above 1 means Kernels is faster.").AppendLine();
        Machine(md, run, results);
        md.AppendLine("## Summary").AppendLine();
        md.Append(SummaryTable(headlines)).AppendLine();
        if (failures.Count > 0)
        {
            md.AppendLine("## Items that failed").AppendLine();
            foreach (string failure in failures)
            {
                md.AppendLine($"- {failure}");
            }
            md.AppendLine();
        }
        foreach ((string family, IReadOnlyList<string> dtypes) in results.KernelFamilies())
        {
            Family(md, results, family, dtypes);
        }
        SingleRow(md, results);
        md.Append(CompressionReport.Section(results));
        md.Append(CollectivesReport.Section(results));
        md.Append(AttentionReport.Section(results));
        md.Append(CudaReport.Section(results));
        Notes(md, results);
        if (charts.Count > 0)
        {
            md.AppendLine("## Charts").AppendLine();
            foreach (string chart in charts)
            {
                md.AppendLine($"![{chart}]({chart})").AppendLine();
            }
        }
        return md.ToString();
    }

    public static string SummaryTable(IReadOnlyList<Headline> headlines)
    {
        if (headlines.Count == 0)
        {
            return "(no headline figure is in this selection)" + Environment.NewLine;
        }
        var md = new StringBuilder();
        md.AppendLine("| Figure | Value | Against |").AppendLine("|---|---|---|");
        foreach (Headline h in headlines)
        {
            md.AppendLine($"| {h.Figure} | {h.Value} | {h.Against} |");
        }
        return md.ToString();
    }

    private static void Machine(StringBuilder md, RunInfo run, ResultSet results)
    {
        md.AppendLine("## Machine").AppendLine();
        md.AppendLine($"- CPU: {run.Cpu}, {run.Cores} logical cores; kernels dispatch to **{run.ActiveTarget}**; {run.Threads} threads for ours and every peer")
            .AppendLine($"- {run.Runtime}, {run.Os}; ONNX Runtime {run.OnnxRuntimeVersion}")
            .AppendLine($"- Run: {(run.Quick ? "quick" : "full")}{(run.Filter is null ? "" : $", filter \"{run.Filter}\"")}, {run.DurationSeconds:0} s; " +
                $"load average {run.LoadAverageAtStart} at start, {run.LoadAverageAtEnd} at end (above ~0.5 other work was competing for the cores)")
            .AppendLine();
        md.AppendLine("| Limit | 1 thread | all cores |").AppendLine("|---|---|---|");
        int all = run.Threads;
        md.AppendLine($"| STREAM copy (3 x 256 MiB arrays), GB/s | {StreamCell(results, "copy", 1)} | {StreamCell(results, "copy", all)} |");
        md.AppendLine($"| STREAM triad, GB/s | {StreamCell(results, "triad", 1)} | {StreamCell(results, "triad", all)} |");
        md.AppendLine($"| all cores, every pass incl. those in turns with large cases: copy / triad, GB/s (min–max) | | {SampleRange(results, "copy", all)} / {SampleRange(results, "triad", all)} |");
        foreach (string isa in results.FmaIsas())
        {
            md.AppendLine($"| FMA peak ({isa}, 12 chains), GFLOP/s | {Number(results.FmaPeak(isa, 1))} | {Number(results.FmaPeak(isa, all))} |");
        }
        md.AppendLine().AppendLine("STREAM runs at the start and the end of the run with 256 MiB arrays (best; start / end in brackets). The bandwidth this " +
            "shared machine gives two cores varies up to 2x from minute to minute, so every case of 16 MiB or more also times an all-core " +
            "STREAM pass (64 MiB arrays) in turns with its contenders, and its % of STREAM is against that pass; smaller cases use the run's best. " +
            "It uses the widest vectors the CPU has and plain stores, and counts bytes as STREAM does (copy 8, triad 12 per element; " +
            "no write-allocate traffic); the kernel figures count bytes the same way, so % of STREAM compares like with like. " +
            "Sizes whose streams fit the caches (up to 16 MiB operands against a 32 MiB L3) can exceed 100%.")
            .AppendLine();
    }

    private static void Family(StringBuilder md, ResultSet results, string family, IReadOnlyList<string> dtypes)
    {
        IReadOnlyList<string> peers = results.Peers(family);
        Measurement? first = results.All.FirstOrDefault(m => m.Family == family);
        md.AppendLine($"## {Title(family)}").AppendLine();
        md.AppendLine($"Bytes per call: {BytesRule(family)}; compared with STREAM **{first?.Limit}** on all cores.").AppendLine();
        md.Append("| Type | Size | Shape | Kernels GB/s | % of STREAM ").Append(first?.Limit);
        foreach (string peer in peers)
        {
            md.Append($" | {peer} GB/s (speed-up)");
        }
        md.AppendLine(" |").Append("|---|---|---|---|---").Append(string.Concat(peers.Select(_ => "|---"))).AppendLine("|");
        foreach (string dtype in dtypes)
        {
            foreach (Measurement ours in results.Ours(family, dtype))
            {
                md.Append($"| {dtype} | {KernelSizes.Label(ours.SizeBytes)} | {ours.Shape} | {Number(ours.Value)} | ")
                    .Append(HeadlineFigures.Percent(results.PercentOfLimit(ours)))
                    .Append(ours.LimitValue is { } inTurns ? $" of {Number(inTurns)} in turns" : "");
                foreach (string peer in peers)
                {
                    Measurement? other = results.Find(family, dtype, ours.SizeBytes, peer);
                    md.Append(other is { Ran: true }
                        ? $" | {Number(other.Value)} ({HeadlineFigures.Ratio(results.SpeedUp(ours, peer))})"
                        : " | n/a");
                }
                md.AppendLine(" |");
            }
        }
        md.AppendLine();
    }

    private static void SingleRow(StringBuilder md, ResultSet results)
    {
        List<Measurement> rows = results.All.Where(m => m.Family.StartsWith("single-row.", StringComparison.Ordinal)).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        md.AppendLine("## One 4096-wide f32 row: overhead").AppendLine();
        md.AppendLine("The managed API on one row (below the parallel threshold: one thread) against the probe's tight loop, " +
            "repeated inside native code. Both rows stay in L1, so the difference is call, validation and dispatch overhead " +
            "(and code quality). \"native loop\" is the widest vector width the CPU has; the target is Kernels <= 2x of it.").AppendLine();
        md.AppendLine("| Kernel | Implementation | ns/row | Kernels time / this |").AppendLine("|---|---|---|---|");
        foreach (var kernel in rows.GroupBy(m => m.Family))
        {
            Measurement? ours = kernel.FirstOrDefault(m => m.Implementation == Implementations.Ours);
            foreach (Measurement m in kernel)
            {
                md.AppendLine($"| {kernel.Key["single-row.".Length..]} | {m.Implementation} | {Number(m.Value)} | " +
                    $"{HeadlineFigures.Ratio((ours?.Seconds ?? double.NaN) / m.Seconds)} |");
            }
        }
        md.AppendLine();
    }

    private static void Notes(StringBuilder md, ResultSet results)
    {
        md.AppendLine("## Notes").AppendLine();
        md.AppendLine("- Timing: warm-up, then batches of calls (about 1 ms per sample); the contenders of a case take turns over several " +
            "rounds, so load from other processes falls on all of them alike; the median per-call time is reported. " +
            "Buffers are native, 64-byte aligned and written before timing (no page faults in timed calls).");
        md.AppendLine("- Every peer splits work over the same threads as ours, with the library's rule (contiguous ranges, one per thread, " +
            "above 512 KiB moved).");
        md.AppendLine("- TensorPrimitives has no bf16: its bf16 rows are widened to f32 with a Vector256 loop, computed, and rounded back. " +
            "The conversion kernels' vector peer is that Vector256 loop.");
        md.AppendLine("- ONNX Runtime runs one-node models built in code (SimplifiedLayerNormalization, onnx domain v1; " +
            "SkipSimplifiedLayerNormalization, com.microsoft v1) with IntraOpNumThreads = our threads and our buffers bound through an IoBinding.");
        foreach (string note in results.All.Where(m => !m.Ran && m.Note is not null).Select(m => $"{m.Implementation}: {m.Note}").Distinct())
        {
            md.AppendLine($"- Not run — {note}");
        }
        md.AppendLine();
    }

    private static string StreamCell(ResultSet results, string limit, int threads) =>
        $"{Number(results.Stream(limit, threads))} ({string.Join(" / ", results.StreamFullPasses(limit, threads).Select(Number))})";

    private static string SampleRange(ResultSet results, string limit, int threads)
    {
        IReadOnlyList<double> passes = results.StreamPasses(limit, threads);
        return passes.Count == 0 ? "n/a" : $"{Number(passes.Min())}–{Number(passes.Max())}";
    }

    private static string Title(string family) => family switch
    {
        "reduce.combine" => "Reduce.Combine (Sum)",
        "reduce.accumulate" => "Reduce.Accumulate (Sum)",
        "convert" => "Conversion.Convert",
        "rmsnorm" => "RmsNorm.Normalize (4096-wide rows)",
        "add_rmsnorm" => "RmsNorm.AddRmsNorm (4096-wide rows)",
        "onebit.compress_ef" => "1-bit compress + EF14 residual update (OneBit + ErrorFeedback.Ef14, fused)",
        "onebit.decompress" => "1-bit decompress (OneBit.Decompress)",
        _ => family,
    };

    private static string BytesRule(string family) => family switch
    {
        "reduce.combine" => "read a + read b + write destination",
        "reduce.accumulate" => "read destination + read source + write destination",
        "convert" => "read source + write destination (each in its own type)",
        "rmsnorm" => "read x + write y + the weight row once",
        "add_rmsnorm" => "read x + read residual + write residual + write y + the weight row once (ORT writes its sum to a separate output)",
        "onebit.compress_ef" => "read g + read e + write e + the message (signs n/8, one scale per 2048)",
        "onebit.decompress" => "read the message + write the dense result (one dense stream, so against copy; calls of 6 MiB or " +
            "more write with non-temporal stores, so no write-allocate read: copy's stores still pay it, hence above 100%)",
        _ => "see results.json",
    };

    private static string Number(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
