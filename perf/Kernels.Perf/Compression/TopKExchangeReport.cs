using System.Globalization;
using System.Text;
using Kernels.Perf.Core;
using Kernels.Perf.Report;

namespace Kernels.Perf.Compression;

/// <summary>The top-k exchange comparison (<see cref="TopKExchangeCase"/>): a headline on the crossover and a table per density.</summary>
internal static class TopKExchangeReport
{
    private const string AllGather = "sparse all-gather";

    public static IEnumerable<Headline> Headlines(ResultSet results)
    {
        List<(Measurement Gather, Measurement Scatter)> pairs = Pairs(results);
        if (pairs.Count == 0) yield break;
        // The measured crossover: the lowest density from which the reduce-scatter sends fewer bytes; and whether Auto's pick
        // is the cheaper exchange at every density.
        (Measurement Gather, Measurement Scatter)? first = pairs.FirstOrDefault(p => p.Scatter.Value < p.Gather.Value);
        bool autoCheapest = pairs.All(p => (p.Scatter.Note == "auto") == (p.Scatter.Value < p.Gather.Value));
        yield return new Headline($"top-k all-reduce exchange, {TopKExchangeCase.Ranks} ranks, {pairs[0].Gather.Shape.Split(", k/n")[0]} f32",
            (first is { } f ? $"reduce-scatter fewer bytes from {Density(f.Gather)}" : "all-gather fewer bytes at every density") +
            $" · Auto picks the cheaper at {pairs.Count(p => (p.Scatter.Note == "auto") == (p.Scatter.Value < p.Gather.Value))}/{pairs.Count} densities",
            $"bytes sent per step by one rank (payload on the links); the rule's model crossover is k/n > 1/(2(n-1)) = {1.0 / (2 * (TopKExchangeCase.Ranks - 1)):0.###}" +
            (autoCheapest ? "" : "; Auto missed the cheaper exchange somewhere: see the table"));
    }

    public static string Section(ResultSet results)
    {
        List<(Measurement Gather, Measurement Scatter)> pairs = Pairs(results);
        if (pairs.Count == 0) return "";
        var md = new StringBuilder();
        md.AppendLine($"## Compression: top-k exchange ({TopKExchangeCase.Ranks} in-process ranks)").AppendLine();
        md.AppendLine("`CompressedAllReduce` with top-k + EF14, the exchange forced: the sparse all-gather (every rank's pairs to every rank) " +
            "or the sparse reduce-scatter (each pair to the owner of its index) followed by an all-gather of the dense shards. Bytes: sent by " +
            "rank 0 per step, payload on the links (what a network between hosts carries). Time: the slowest rank's time per step in-process " +
            "(threads over shared memory, compression included), where moving bytes is cheap and the reduce-scatter's dense shard gather " +
            "costs memory bandwidth instead. `Auto` decides by the bytes model, from k, n and the world size alone.").AppendLine();
        md.AppendLine("| k / n | all-gather bytes | reduce-scatter bytes | bytes ratio (AG / RS) | Auto picks | all-gather ms | reduce-scatter ms |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach ((Measurement gather, Measurement scatter) in pairs)
        {
            md.AppendLine($"| {Density(gather)} | {gather.Value:N0} | {scatter.Value:N0} | {HeadlineFigures.Ratio(gather.Value / scatter.Value)} | " +
                $"{(scatter.Note == "auto" ? "reduce-scatter" : "all-gather")} | {Ms(gather)} | {Ms(scatter)} |");
        }
        md.AppendLine();
        return md.ToString();
    }

    private static List<(Measurement Gather, Measurement Scatter)> Pairs(ResultSet results)
    {
        List<Measurement> runs = results.All.Where(m => m.Family == CompressionFamilies.TopKExchange && m.Ran).ToList();
        return runs.Where(m => m.Implementation == AllGather)
            .Select(g => (Gather: g, Scatter: runs.FirstOrDefault(s => s.Implementation != AllGather && s.Shape == g.Shape)))
            .Where(p => p.Scatter is not null)
            .Select(p => (p.Gather, p.Scatter!))
            .ToList();
    }

    private static string Density(Measurement m) => m.Shape.Split("k/n = ")[1];

    private static string Ms(Measurement m) => (m.Seconds * 1e3).ToString("0.00", CultureInfo.InvariantCulture);
}
