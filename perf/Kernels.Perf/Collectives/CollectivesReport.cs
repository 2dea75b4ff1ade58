using System.Globalization;
using System.Text;
using Kernels.Perf.Core;
using Kernels.Perf.Report;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Kernels.Perf.Collectives;

/// <summary>
/// The collectives group's part of the report: headline ratios against the issue's targets, one table per collective
/// (time, algbw, busbw, #wrong per contender; our busbw over MPI's and Gloo's; busbw as % of the STREAM-implied limit),
/// and a busbw-by-size chart per collective.
/// </summary>
public static class CollectivesReport
{
    private static readonly string[] OursAcrossProcesses = [CollectiveNames.SharedSpans, CollectiveNames.SharedBuffers];

    public static IEnumerable<Headline> Headlines(ResultSet results)
    {
        List<Measurement> all = Collectives(results);
        if (all.Count == 0)
        {
            yield break;
        }
        var targets = new (long Bytes, string Target)[]
        {
            (1L << 20, "targets: AllocateBuffer >= 3x, user spans >= 2x"),
            (64L << 20, "targets: AllocateBuffer >= 3x, user spans >= 1.3x"),
        };
        foreach ((long bytes, string target) in targets)
        {
            string value = string.Join(" · ", OursAcrossProcesses.Select(ours =>
                $"{Short(ours)} {HeadlineFigures.Ratio(BusRatio(all, CollectiveNames.AllReduce, bytes, ours, CollectiveNames.Mpi))}"));
            if (Find(all, CollectiveNames.AllReduce, bytes, CollectiveNames.Mpi) is not null)
            {
                yield return new Headline($"all-reduce f32 {CollectiveNames.SizeLabel(bytes)}, 2 processes, vs MPI", value,
                    $"our busbw / MPI_Allreduce busbw; {target}");
            }
        }
        if (all.Any(m => m.Implementation == CollectiveNames.Gloo && m.Ran))
        {
            string value = string.Join(" · ", OursAcrossProcesses.Select(ours => $"{Short(ours)} {HeadlineFigures.Ratio(WorstRatioOverSizes(all, ours, CollectiveNames.Gloo))}"));
            yield return new Headline("all-reduce f32, 2 processes, vs Gloo (worst size)", value, "min over sizes of our busbw / gloo::AllreduceRing busbw; target >= 5x everywhere");
        }
        foreach (Headline headline in SparseAndFusedReport.Headlines(all))
        {
            yield return headline;
        }
        if (Find(all, CollectiveNames.AllReduce, 8, CollectiveNames.SharedSpans) is { } ours8 && Find(all, CollectiveNames.AllReduce, 8, CollectiveNames.Mpi) is { } mpi8)
        {
            yield return new Headline("all-reduce 8 B latency, 2 processes", $"{Micros(ours8.Seconds)} vs MPI {Micros(mpi8.Seconds)}",
                "user spans time vs MPI_Allreduce time; target: no worse than MPI");
        }
    }

    public static string Section(ResultSet results)
    {
        List<Measurement> all = Collectives(results);
        if (all.Count == 0)
        {
            return "";
        }
        double stream = StreamCopyAllCores(results);
        var md = new StringBuilder();
        md.AppendLine("## Collectives at 2 ranks (nccl-tests figures)").AppendLine();
        md.AppendLine("f32 sum. S is the whole vector (all-reduce: the buffer; reduce-scatter: the input; all-gather: the output); " +
            "algbw = S / time; busbw = algbw x 2(n-1)/n for all-reduce, x (n-1)/n for the others; #wrong counts elements differing " +
            "from the exact expected result (integer-valued inputs). Our shared-memory ranks and MPI run in the same two processes " +
            "under `mpirun -n 2` (Open MPI's default placement, a core per rank; + `--allow-run-as-root` as root): per case, user " +
            "arrays (copied in and out) and `AllocateBuffer` buffers (no copy) with the cost model's algorithm, for all-reduce also " +
            "two-shot and the ring forced, and MPI's own collective through libkernels_mpi take turns, a batch each per round for " +
            "seven rounds after a warm-up; each one's fastest batch, the slowest rank's time. Load from other work falls on all of " +
            "them alike; Gloo's gloo::AllreduceRing (over TCP on 127.0.0.1, all-reduce only) takes its turn in the same processes. " +
            "The other contenders run alone (warm-up, up to five batches, the median batch): our ranks as threads (in-process " +
            "transport) and over the MPI path" +
            "(all-reduce only).").AppendLine();
        foreach (string library in all.Where(m => m.Ran && m.Note is not null).Select(m => $"{m.Implementation}: {m.Note}").Distinct())
        {
            md.AppendLine($"- {library}");
        }
        foreach (string missing in all.Where(m => !m.Ran).Select(m => $"{m.Implementation} not run: {m.Note}").Distinct())
        {
            md.AppendLine($"- {missing}");
        }
        md.AppendLine($"- STREAM-implied limit: STREAM copy on all cores ({Number(stream)} GB/s, the run's best) divided by the job's memory " +
            "traffic per byte of S with no copy beyond the algorithm's (all-reduce 5 S, reduce-scatter 3 S, all-gather 2 S at 2 ranks), " +
            "times the busbw factor. Small cases run in cache and can exceed 100%.").AppendLine();
        foreach (string collective in CollectiveNames.All)
        {
            Table(md, all, collective, stream);
        }
        md.Append(SparseAndFusedReport.Section(all));
        md.Append(AlgorithmComparisonReport.Section(all));
        return md.ToString();
    }

    /// <summary>Writes collectives_&lt;collective&gt;.png (busbw by size, log x) for each collective that ran; returns the file names.</summary>
    public static IReadOnlyList<string> WriteCharts(string folder, ResultSet results, int width, int height)
    {
        List<Measurement> all = Collectives(results);
        double stream = StreamCopyAllCores(results);
        var files = new List<string>();
        foreach (string collective in CollectiveNames.All)
        {
            List<Measurement> cases = all.Where(m => m.Family == collective && m.Ran).ToList();
            if (cases.Count == 0)
            {
                continue;
            }
            var plot = new Plot();
            foreach (string implementation in CollectiveNames.Contenders)
            {
                Measurement[] points = cases.Where(m => m.Implementation == implementation).OrderBy(m => m.SizeBytes).ToArray();
                if (points.Length == 0)
                {
                    continue;
                }
                var line = plot.Add.Scatter(points.Select(m => Math.Log2(m.SizeBytes)).ToArray(), points.Select(m => m.Value).ToArray());
                line.LegendText = implementation;
                line.LineWidth = CollectiveNames.IsOurs(implementation) ? 3 : 1.5f;
                line.MarkerSize = 6;
            }
            double limit = BusBandwidth.LimitFromStream(collective, SweepPlan.Ranks, stream);
            if (!double.IsNaN(limit))
            {
                var ceiling = plot.Add.HorizontalLine(limit);
                ceiling.LinePattern = LinePattern.Dashed;
                ceiling.LegendText = "STREAM-implied limit (memory traffic)";
            }
            long[] sizes = cases.Select(m => m.SizeBytes).Distinct().Order().ToArray();
            plot.Axes.Bottom.TickGenerator = new NumericManual(sizes.Select(s => Math.Log2(s)).ToArray(), sizes.Select(CollectiveNames.SizeLabel).ToArray());
            plot.Axes.SetLimitsY(0, cases.Select(m => m.Value).Append(double.IsNaN(limit) ? 0 : limit).Max() * 1.1);
            plot.Title($"{CollectiveNames.Title(collective)} f32, 2 ranks: busbw by size (higher is better)");
            plot.XLabel("S, bytes (log scale)");
            plot.YLabel("busbw, GB/s");
            plot.ShowLegend(Alignment.UpperLeft);
            string file = $"collectives_{collective}.png";
            plot.SavePng(Path.Combine(folder, file), width, height);
            files.Add(file);
        }
        return files;
    }

    private static void Table(StringBuilder md, List<Measurement> all, string collective, double stream)
    {
        List<Measurement> rows = all.Where(m => m.Family == collective).OrderBy(m => m.SizeBytes)
            .ThenBy(m => IndexOf(m.Implementation)).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        double limit = BusBandwidth.LimitFromStream(collective, SweepPlan.Ranks, stream);
        md.AppendLine($"### {CollectiveNames.Title(collective)} (busbw limit from STREAM: {Number(limit)} GB/s)").AppendLine();
        md.AppendLine("| S | Implementation | time µs | algbw GB/s | busbw GB/s | #wrong | busbw / MPI | busbw / Gloo | % of limit |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (Measurement m in rows)
        {
            if (!m.Ran)
            {
                md.AppendLine($"| {CollectiveNames.SizeLabel(m.SizeBytes)} | {m.Implementation} | n/a | | | | | | |");
                continue;
            }
            bool ours = CollectiveNames.IsOurs(m.Implementation);
            string versus(string peer) => ours ? HeadlineFigures.Ratio(BusRatio(all, collective, m.SizeBytes, m.Implementation, peer)) : "";
            md.AppendLine($"| {CollectiveNames.SizeLabel(m.SizeBytes)} | {m.Implementation} | {Number(m.Seconds * 1e6)} | " +
                $"{Number(CollectiveMeasurement.AlgBw(m))} | {Number(m.Value)} | {m.Wrong} | {versus(CollectiveNames.Mpi)} | " +
                $"{(collective == CollectiveNames.AllReduce ? versus(CollectiveNames.Gloo) : "")} | {HeadlineFigures.Percent(100 * m.Value / limit)} |");
        }
        md.AppendLine();
    }

    private static List<Measurement> Collectives(ResultSet results) => results.All.Where(m => m.Group == CollectiveNames.Group).ToList();

    private static Measurement? Find(List<Measurement> all, string collective, long bytes, string implementation) =>
        all.FirstOrDefault(m => m.Family == collective && m.SizeBytes == bytes && m.Implementation == implementation && m.Ran);

    private static double BusRatio(List<Measurement> all, string collective, long bytes, string ours, string peer) =>
        Find(all, collective, bytes, ours) is { } o && Find(all, collective, bytes, peer) is { } p ? o.Value / p.Value : double.NaN;

    private static double WorstRatioOverSizes(List<Measurement> all, string ours, string peer) =>
        all.Where(m => m.Family == CollectiveNames.AllReduce && m.Implementation == peer && m.Ran)
            .Select(p => BusRatio(all, CollectiveNames.AllReduce, p.SizeBytes, ours, peer))
            .Where(r => !double.IsNaN(r)).DefaultIfEmpty(double.NaN).Min();

    /// <summary>The best all-core STREAM copy figure of the run (the probe's largest thread count).</summary>
    private static double StreamCopyAllCores(ResultSet results)
    {
        int threads = results.All.Where(m => m.Family == "stream" && m.Implementation == "copy").Select(m => m.Threads).DefaultIfEmpty(0).Max();
        return threads == 0 ? double.NaN : results.Stream("copy", threads);
    }

    private static int IndexOf(string implementation) =>
        CollectiveNames.Contenders.ToList().IndexOf(implementation) is var i && i >= 0 ? i : int.MaxValue;

    private static string Short(string implementation) => implementation == CollectiveNames.SharedBuffers ? "AllocateBuffer" : "user spans";

    private static string Micros(double seconds) => $"{Number(seconds * 1e6)} µs";

    private static string Number(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value >= 100 ? "0" : value >= 1 ? "0.00" : "0.000", CultureInfo.InvariantCulture);
}
