using Kernels.Tests.Support;

namespace Kernels.Tests.Collectives;

/// <summary>
/// Inputs and expected outputs of all-to-all exchanges: rank p's input is <see cref="CollectiveData.Input{T}"/> of its send
/// total, cut into blocks by a count matrix; rank r's expected output is every rank's block for r, in rank order.
/// </summary>
internal static class AllToAllData
{
    /// <summary>Row-major size x size counts, mostly odd, with zeros, some pairs above a 4 KiB staging slot.</summary>
    internal static int[] VariableCounts(int size, int seed = 0)
    {
        var counts = new int[size * size];
        for (int p = 0; p < size; p++)
        {
            for (int q = 0; q < size; q++)
            {
                counts[p * size + q] = (p + 2 * q + seed) % 4 == 0 ? 0 : (p * 389 + q * 211 + seed * 97) % 1400 + 1;
            }
        }
        return counts;
    }

    /// <summary>Every pair sends <paramref name="block"/> elements.</summary>
    internal static int[] UniformCounts(int size, int block) => Enumerable.Repeat(block, size * size).ToArray();

    internal static int[] SendCounts(int[] counts, int size, int rank) => counts.AsSpan(rank * size, size).ToArray();

    internal static int[] ReceiveCounts(int[] counts, int size, int rank) =>
        Enumerable.Range(0, size).Select(p => counts[p * size + rank]).ToArray();

    internal static T[] Input<T>(int[] counts, int size, int rank, int seed) where T : unmanaged =>
        CollectiveData.Input<T>(rank, SendCounts(counts, size, rank).Sum(), seed);

    internal static T[] Expected<T>(int[] counts, int size, int rank, int seed) where T : unmanaged
    {
        var expected = new List<T>();
        for (int p = 0; p < size; p++)
        {
            T[] input = Input<T>(counts, size, p, seed);
            int start = counts.AsSpan(p * size, rank).ToArray().Sum();
            expected.AddRange(input.AsSpan(start, counts[p * size + rank]).ToArray());
        }
        return [.. expected];
    }
}
