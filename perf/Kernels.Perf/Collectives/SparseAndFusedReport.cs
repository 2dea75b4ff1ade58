using System.Globalization;
using System.Text;
using Kernels.Collectives;
using Kernels.Perf.Core;
using Kernels.Perf.Report;

namespace Kernels.Perf.Collectives;

/// <summary>
/// The collectives report's sparse and fused parts: the measured sparse→dense crossover (against the threshold the
/// communicator uses) and the fused all-reduce + add + RMSNorm's speed-up over the unfused pair, as headlines and tables.
/// </summary>
internal static class SparseAndFusedReport
{
    private const int FusedTargetTokens = 64;

    public static IEnumerable<Headline> Headlines(IReadOnlyList<Measurement> all)
    {
        List<(double Density, double Sparse, double Dense)> sparse = SparsePoints(all);
        if (sparse.Count > 0)
        {
            yield return new Headline("sparse all-gather → dense switch, 2 ranks, f32, 1 Mi index space",
                $"crossover {Crossover(sparse)}, switch at {SparseDensity.DefaultThreshold:0.###}",
                "mean density per rank above which densify + all-reduce beats the sparse exchange (measured; SparCML's switch)");
        }
        List<(int Tokens, double Fused, double Unfused)> processes = FusedPoints(all, FusedComparison.FusedProcesses, FusedComparison.UnfusedProcesses);
        List<(int Tokens, double Fused, double Unfused)> threads = FusedPoints(all, FusedComparison.Fused, FusedComparison.Unfused);
        if (processes.Concat(threads).Any(p => p.Tokens >= FusedTargetTokens))
        {
            var figures = new List<string>();
            foreach ((string label, List<(int Tokens, double Fused, double Unfused)> points) in new[] { ("2 processes", processes), ("threads", threads) })
            {
                if (points.Any(p => p.Tokens >= FusedTargetTokens))
                {
                    figures.Add($"{label} {HeadlineFigures.Ratio(points.Where(p => p.Tokens >= FusedTargetTokens).Min(p => p.Unfused / p.Fused))}");
                }
            }
            yield return new Headline($"fused AllReduceAddRmsNorm, 2 ranks, hidden {FusedComparison.Hidden}, >= {FusedTargetTokens} tokens",
                string.Join(" · ", figures), "min over token counts of (AllReduce + AddRmsNorm time) / fused time; target >= 1.3x");
        }
    }

    public static string Section(IReadOnlyList<Measurement> all)
    {
        var md = new StringBuilder();
        List<(double Density, double Sparse, double Dense)> sparse = SparsePoints(all);
        if (sparse.Count > 0)
        {
            md.AppendLine($"### Sparse all-gather into a dense vector: sparse vs dense path (crossover {Crossover(sparse)})").AppendLine();
            md.AppendLine($"2 ranks (threads), f32, index space {SparseCrossover.IndexSpace:N0}; each rank sets the given fraction of it " +
                "(distinct random indices). Sparse path: all-gather of counts, indices and values, then the sum into the dense vector; " +
                $"dense path: each rank's entries into a dense vector, then the dense all-reduce. The communicator switches at mean " +
                $"density {SparseDensity.DefaultThreshold:0.###} (`CommunicatorOptions.SparseDenseThreshold`).").AppendLine();
            md.AppendLine("| density per rank | sparse path µs | dense path µs | sparse / dense time |").AppendLine("|---|---|---|---|");
            foreach ((double density, double s, double d) in sparse)
            {
                md.AppendLine($"| {density:0.###} | {Number(s)} | {Number(d)} | {HeadlineFigures.Ratio(s / d)} |");
            }
            md.AppendLine();
        }
        List<(int Tokens, double Fused, double Unfused)> processes = FusedPoints(all, FusedComparison.FusedProcesses, FusedComparison.UnfusedProcesses);
        List<(int Tokens, double Fused, double Unfused)> threads = FusedPoints(all, FusedComparison.Fused, FusedComparison.Unfused);
        if (processes.Count + threads.Count > 0)
        {
            md.AppendLine($"### Fused all-reduce + add + RMSNorm vs AllReduce then AddRmsNorm (hidden {FusedComparison.Hidden})").AppendLine();
            md.AppendLine("2 ranks, f32, both timed in turns on the same data; fused: `AllReduceAddRmsNorm` (reduce-scatter by rows, add + " +
                "RMSNorm on the rank's rows, all-gather of the rows and residual); unfused: `AllReduce` then `RmsNorm.AddRmsNorm` on every " +
                "row on every rank. Ranks as 2 processes over shared memory (the transport users deploy) and as 2 threads of one " +
                $"process (the in-process transport, for tests and simulation). Target: fused at least 1.3x faster from {FusedTargetTokens} tokens.").AppendLine();
            md.AppendLine("| tokens | processes: fused µs | unfused µs | speed-up | threads: fused µs | unfused µs | speed-up |")
                .AppendLine("|---|---|---|---|---|---|---|");
            foreach (int tokens in processes.Concat(threads).Select(p => p.Tokens).Distinct().Order())
            {
                md.AppendLine($"| {tokens} | {Cells(processes, tokens)} | {Cells(threads, tokens)} |");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    private static List<(double Density, double Sparse, double Dense)> SparsePoints(IReadOnlyList<Measurement> all) =>
        (from density in SparseCrossover.Densities(quick: false).Union(SparseCrossover.Densities(quick: true)).Order()
         let s = Find(all, SparseCrossover.Family, SparseCrossover.SparsePath, SparseCrossover.ShapeOf(density))
         let d = Find(all, SparseCrossover.Family, SparseCrossover.DensePath, SparseCrossover.ShapeOf(density))
         where s is not null && d is not null
         select (density, s.Value, d.Value)).ToList();

    private static List<(int Tokens, double Fused, double Unfused)> FusedPoints(IReadOnlyList<Measurement> all, string fused, string unfused) =>
        (from tokens in FusedComparison.Tokens(quick: false)
         let f = Find(all, FusedComparison.Family, fused, FusedComparison.ShapeOf(tokens))
         let u = Find(all, FusedComparison.Family, unfused, FusedComparison.ShapeOf(tokens))
         where f is not null && u is not null
         select (tokens, f.Value, u.Value)).ToList();

    /// <summary>"fused µs | unfused µs | speed-up" of one transport at <paramref name="tokens"/>, or blanks when not measured.</summary>
    private static string Cells(List<(int Tokens, double Fused, double Unfused)> points, int tokens) =>
        points.FirstOrDefault(p => p.Tokens == tokens) is { Fused: > 0 } p
            ? $"{Number(p.Fused)} | {Number(p.Unfused)} | {HeadlineFigures.Ratio(p.Unfused / p.Fused)}"
            : " |  | ";

    /// <summary>The density where the dense path starts to win, interpolated (log scale) between the measured points around it.</summary>
    private static string Crossover(List<(double Density, double Sparse, double Dense)> points)
    {
        for (int i = 0; i < points.Count; i++)
        {
            if (points[i].Dense <= points[i].Sparse)
            {
                if (i == 0)
                {
                    return $"<= {points[0].Density:0.###}";
                }
                (double d0, double s0, double e0) = points[i - 1];
                (double d1, double s1, double e1) = points[i];
                double gap0 = Math.Log(s0 / e0), gap1 = Math.Log(s1 / e1);
                double t = gap0 / (gap0 - gap1);
                double density = Math.Exp(Math.Log(d0) + t * (Math.Log(d1) - Math.Log(d0)));
                return $"≈ {density.ToString("0.###", CultureInfo.InvariantCulture)}";
            }
        }
        return $"> {points[^1].Density:0.###}";
    }

    private static Measurement? Find(IReadOnlyList<Measurement> all, string family, string implementation, string shape) =>
        all.FirstOrDefault(m => m.Family == family && m.Implementation == implementation && m.Shape == shape && m.Ran);

    private static string Number(double value) =>
        value.ToString(value >= 100 ? "0" : value >= 1 ? "0.00" : "0.000", CultureInfo.InvariantCulture);
}
