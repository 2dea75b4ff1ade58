namespace Kernels.Compression;

/// <summary>How <see cref="CompressedAllReduce"/> exchanges top-k messages.</summary>
public enum SparseExchange
{
    /// <summary>The exchange that puts fewer bytes on the links for this world size and density k / n (see <see cref="CompressedAllReduce"/>);
    /// decided from the settings alone, so every rank decides the same.</summary>
    Auto,

    /// <summary>Sparse all-gather: every rank's (index, value) pairs reach every rank, which sums them.</summary>
    AllGather,

    /// <summary>Sparse reduce-scatter (each pair travels only to the rank owning its index, which sums its shard), then an
    /// all-gather of the dense shards.</summary>
    ReduceScatter,
}
