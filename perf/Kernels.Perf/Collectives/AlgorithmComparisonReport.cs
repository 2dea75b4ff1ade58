using System.Globalization;
using System.Text;
using Kernels.Collectives;
using Kernels.Perf.Core;
using Kernels.Perf.Report;

namespace Kernels.Perf.Collectives;

/// <summary>The report's table of <see cref="AlgorithmComparison"/>: time per algorithm, and ring over two-shot, per world size and size.</summary>
internal static class AlgorithmComparisonReport
{
    public static string Section(IReadOnlyList<Measurement> all)
    {
        List<Measurement> rows = all.Where(m => m.Family == AlgorithmComparison.Family && m.Ran).ToList();
        if (rows.Count == 0)
        {
            return "";
        }
        string[] implementations = [.. AlgorithmComparison.Implementations];
        var md = new StringBuilder();
        md.AppendLine("### All-reduce algorithms (where the cost model chooses)").AppendLine();
        md.AppendLine("f32 sum, ranks as threads (in-process transport; 3 and 4 ranks share the 2 cores), every contender timed in " +
            "alternation, fastest batch. The cost model's choice is `AlgorithmChoice`; `KN_ALGO` forces one.").AppendLine();
        md.AppendLine($"| case | {string.Join(" | ", implementations.Select(i => $"{i} µs"))} | two-shot / ring time (spans) | two-shot / ring time (buffers) |");
        md.AppendLine($"|---|{string.Concat(implementations.Select(_ => "---|"))}---|---|");
        foreach (IGrouping<string, Measurement> shape in rows.GroupBy(m => m.Shape))
        {
            double TimeOf(string implementation) => shape.FirstOrDefault(m => m.Implementation == implementation)?.Seconds ?? double.NaN;
            string Ratio(bool buffers) => HeadlineFigures.Ratio(
                TimeOf(AlgorithmComparison.ImplementationOf(CollectiveAlgorithm.TwoShot, buffers))
                / TimeOf(AlgorithmComparison.ImplementationOf(CollectiveAlgorithm.Ring, buffers)));
            md.AppendLine($"| {shape.Key} | {string.Join(" | ", implementations.Select(i => (TimeOf(i) * 1e6).ToString("0.#", CultureInfo.InvariantCulture)))} | {Ratio(false)} | {Ratio(true)} |");
        }
        md.AppendLine();
        return md.ToString();
    }
}
