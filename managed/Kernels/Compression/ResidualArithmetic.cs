namespace Kernels.Compression;

/// <summary>
/// The element-wise fp32 steps of the error-feedback layers. Plain loops: each element is one or two IEEE operations in a
/// fixed order, so results do not depend on vector width (1-bit with EF14 uses the fused native kernel instead).
/// </summary>
internal static class ResidualArithmetic
{
    /// <summary>sum[i] = a[i] + b[i].</summary>
    internal static float[] Sum(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = new float[a.Length];
        for (int i = 0; i < sum.Length; i++) sum[i] = a[i] + b[i];
        return sum;
    }

    /// <summary>difference[i] = a[i] - b[i].</summary>
    internal static float[] Difference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var difference = new float[a.Length];
        for (int i = 0; i < difference.Length; i++) difference[i] = a[i] - b[i];
        return difference;
    }

    /// <summary>residual[i] = -(decompressed[i] - compensated[i]): c - d, and -0 where d reproduces c exactly.</summary>
    internal static void StoreResidual(ReadOnlySpan<float> compensated, ReadOnlySpan<float> decompressed, Span<float> residual)
    {
        for (int i = 0; i < residual.Length; i++) residual[i] = -(decompressed[i] - compensated[i]);
    }

    /// <summary>accumulator[i] = accumulator[i] + values[i].</summary>
    internal static void Accumulate(Span<float> accumulator, ReadOnlySpan<float> values)
    {
        for (int i = 0; i < accumulator.Length; i++) accumulator[i] = accumulator[i] + values[i];
    }

    /// <summary>The receiver's running estimate: estimate[i] = aggregate[i] = state[i] + aggregate[i].</summary>
    internal static void AccumulateInto(Span<float> state, Span<float> aggregate)
    {
        for (int i = 0; i < aggregate.Length; i++)
        {
            aggregate[i] = state[i] + aggregate[i];
            state[i] = aggregate[i];
        }
    }
}
