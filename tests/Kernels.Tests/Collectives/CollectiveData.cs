using Kernels.Tests.Support;

namespace Kernels.Tests.Collectives;

/// <summary>
/// Inputs whose values are quarters in [-16, 16] (exact in float, Half and BFloat16, and their sums over up to 5 ranks
/// exact in fp32), so the only rounding a correct collective may do is the final one; and the float64 reference.
/// </summary>
internal static class CollectiveData
{
    /// <summary>Counts every collective is tested with: empty, one, odd, larger than a 4 KiB staging slot, and several slots.</summary>
    internal static readonly int[] Counts = [0, 1, 7, 1025, 3 * 1024 + 7];

    internal static T[] Input<T>(int rank, int count, int seed = 0) where T : unmanaged
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            long mixed = (rank * 7919L + i * 104729L + seed * 31L) % 129;
            values[i] = Values.From<T>((mixed - 64) / 4f);
        }
        return values;
    }

    internal static double[] Reduced<T>(int size, int count, ReduceOp op, int seed = 0) where T : unmanaged
    {
        var inputs = Enumerable.Range(0, size).Select(rank => Input<T>(rank, count, seed)).ToArray();
        var result = new double[count];
        for (int i = 0; i < count; i++)
        {
            double value = Values.ToDouble(inputs[0][i]);
            for (int rank = 1; rank < size; rank++)
            {
                double x = Values.ToDouble(inputs[rank][i]);
                value = op switch
                {
                    ReduceOp.Sum or ReduceOp.Avg => value + x,
                    ReduceOp.Max => Math.Max(value, x),
                    ReduceOp.Min => Math.Min(value, x),
                    _ => throw new ArgumentOutOfRangeException(nameof(op)),
                };
            }
            result[i] = op == ReduceOp.Avg ? value / size : value;
        }
        return result;
    }

    /// <summary>Asserts the result is the reference rounded once (1 ulp of <typeparamref name="T"/>, for Avg's fp32 reciprocal).</summary>
    internal static void AssertReduced<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected, string context) where T : unmanaged =>
        Compare.Near(actual, expected, ulps: 1, context, relative: 2e-7);
}
