namespace Kernels.Collectives.Algorithms;

/// <summary>
/// How a vector of <c>count</c> elements is split over the ranks: contiguous shards in rank order, the first
/// <c>count % size</c> ranks holding one element more. Reduce-scatter results, all-gather pieces of a
/// <see cref="CommunicatorBuffer{T}"/> and the two-shot algorithm's work split all use it.
/// </summary>
internal static class Shards
{
    internal static (long Offset, long Length) Of(long count, int size, int rank)
    {
        long baseLength = count / size;
        long remainder = count % size;
        long length = baseLength + (rank < remainder ? 1 : 0);
        long offset = rank * baseLength + Math.Min(rank, remainder);
        return (offset, length);
    }

    internal static long Largest(long count, int size) => (count + size - 1) / size;
}
