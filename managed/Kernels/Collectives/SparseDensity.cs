namespace Kernels.Collectives;

/// <summary>
/// When the sparse collectives with dense results switch to the dense path (SparCML's switch): above a density, the
/// index and value lists of every rank cost more to move and scatter than the whole vector costs to all-reduce.
/// </summary>
public static class SparseDensity
{
    /// <summary>
    /// The default <see cref="CommunicatorOptions.SparseDenseThreshold"/>: the crossover of the sparse and dense paths
    /// measured by the benchmark suite (collectives report, sparse all-gather into a dense vector), 2 ranks, f32,
    /// 1 Mi-element index space, in a quiet run: sparse/dense time 0.88x at density 0.03, 1.11x at 0.05 (0.29x at 0.001,
    /// 2.15x at 1). In loaded runs the points scattered, but 0.05 and below favoured sparse, 0.1 and above dense.
    /// </summary>
    public const double DefaultThreshold = 0.04;

    /// <summary>Mean fraction of the index space a rank sets: all ranks' entries over ranks x index space.</summary>
    internal static double Of(long totalEntries, int ranks, long indexSpace) =>
        indexSpace == 0 ? 0 : (double)totalEntries / ranks / indexSpace;

    /// <summary>Whether to densify; decided from the gathered counts, so every rank decides the same.</summary>
    internal static bool PrefersDense(long totalEntries, int ranks, long indexSpace, double threshold) =>
        Of(totalEntries, ranks, indexSpace) >= threshold;
}
