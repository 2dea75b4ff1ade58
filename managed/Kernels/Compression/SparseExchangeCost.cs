namespace Kernels.Compression;

/// <summary>
/// Bytes one rank sends in the two top-k exchanges (payload on the links, as <see cref="TrafficModel"/> counts), and the rule that
/// picks the cheaper one for <see cref="SparseExchange.Auto"/>.
/// </summary>
/// <remarks>
/// With k pairs of 8 bytes per rank, n ranks and N elements: the all-gather sends 8k (n - 1); the reduce-scatter sends the pairs
/// of the other ranks' shards once, 8k (n - 1) / n when the indices spread evenly, then (n - 1) copies of its dense shard,
/// 4 N (n - 1) / n. The reduce-scatter sends less exactly when k / N &gt; 1 / (2 (n - 1)) (plus a few header bytes): above 50% at
/// 2 ranks, 25% at 3 ranks, 16.7% at 4, 12.5% at 5, 3.3% at 16. The benchmark suite
/// (compression/topk-exchange) measures both exchanges' bytes and time on each side of that line.
/// </remarks>
internal static class SparseExchangeCost
{
    private const long PairBytes = sizeof(int) + sizeof(float);

    /// <summary>The sparse all-gather of <paramref name="pairs"/> pairs after its header, [index space, pair count] as two longs.</summary>
    internal static long AllGatherBytes(long pairs, int ranks) => TrafficModel.AllGather(pairs * PairBytes + 2 * sizeof(long), ranks);

    /// <summary>
    /// The sparse reduce-scatter (a header of n + 1 longs all-gathered, then <paramref name="pairsToOthers"/> pairs, each to the
    /// owner of its index) and the all-gather of this rank's dense shard of <paramref name="shardLength"/> floats.
    /// </summary>
    internal static long ReduceScatterBytes(long pairsToOthers, long shardLength, int ranks) =>
        TrafficModel.AllGather((ranks + 1) * (long)sizeof(long), ranks) + pairsToOthers * PairBytes + TrafficModel.AllGather(shardLength * sizeof(float), ranks);

    /// <summary>Whether the reduce-scatter is expected to send fewer bytes than the all-gather for k of <paramref name="length"/> at this world size
    /// (indices spread evenly over the shards; the largest shard).</summary>
    internal static bool PrefersReduceScatter(long k, long length, int ranks) =>
        ReduceScatterBytes(k * (ranks - 1) / ranks, (length + ranks - 1) / ranks, ranks) < AllGatherBytes(k, ranks);
}
