using Kernels.Interop;

namespace Kernels.Compression;

/// <summary>Writes (index, value) pairs back into dense buffers: the decompression and aggregation of top-k messages.</summary>
public static unsafe class Sparse
{
    /// <summary><c>dense[indices[j]] = values[j]</c> in order of j (a repeated index keeps its last value); other elements are untouched.</summary>
    /// <exception cref="ArgumentException">The spans' lengths differ (names <paramref name="values"/>), or an index is negative or not below
    /// <c>dense.Length</c> (names <paramref name="indices"/>); <paramref name="dense"/> is then unchanged.</exception>
    public static void Scatter(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> dense)
    {
        Validate(indices, values, dense.Length);
        if (indices.IsEmpty) return;
        fixed (int* pi = indices)
        fixed (float* pv = values)
        fixed (float* pd = dense)
        {
            Native.Check(NativeMethods.kn_sparse_scatter((uint*)pi, pv, (nuint)indices.Length, pd, (nuint)dense.Length));
        }
    }

    /// <summary><c>dense[indices[j]] += values[j]</c> in order of j (fp32 adds; NaN and infinities follow IEEE addition).</summary>
    /// <exception cref="ArgumentException">As for <see cref="Scatter"/>; <paramref name="dense"/> is then unchanged.</exception>
    public static void ScatterAdd(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> dense)
    {
        Validate(indices, values, dense.Length);
        if (indices.IsEmpty) return;
        fixed (int* pi = indices)
        fixed (float* pv = values)
        fixed (float* pd = dense)
        {
            Native.Check(NativeMethods.kn_sparse_scatter_add((uint*)pi, pv, (nuint)indices.Length, pd, (nuint)dense.Length));
        }
    }

    private static void Validate(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int length)
    {
        if (values.Length != indices.Length)
        {
            throw new ArgumentException($"values has {values.Length} elements but indices has {indices.Length}; they must be equal.", nameof(values));
        }
        for (int j = 0; j < indices.Length; j++)
        {
            if ((uint)indices[j] >= (uint)length)
            {
                throw new ArgumentException($"indices[{j}] = {indices[j]} is outside the dense buffer of {length} elements.", nameof(indices));
            }
        }
    }
}
