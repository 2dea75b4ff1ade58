namespace Kernels.Compression;

/// <summary>
/// Bytes one rank sends in each collective the compressed protocols use, counted as payload on the links of a ring or direct
/// exchange: what a network between hosts would carry, whatever the transport actually does in shared memory.
/// </summary>
internal static class TrafficModel
{
    /// <summary>Ring all-reduce (reduce-scatter + all-gather): each rank sends 2 (n - 1) / n of the buffer.</summary>
    internal static long AllReduce(long bytes, int size) => size == 1 ? 0 : 2 * (size - 1) * bytes / size;

    /// <summary>All-gather of this rank's block: every other rank needs it once (a ring forwards blocks of equal total size).</summary>
    internal static long AllGather(long ownBytes, int size) => (size - 1) * ownBytes;

    /// <summary>The dense baseline every report is compared with: a ring all-reduce of the fp32 gradient.</summary>
    internal static long Dense(long elements, int size) => AllReduce(elements * sizeof(float), size);
}
