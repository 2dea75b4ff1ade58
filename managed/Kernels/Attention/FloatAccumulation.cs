using System.Numerics;

namespace Kernels.Attention;

/// <summary>fp32 accumulation of per-block gradients: a block's gradient is rounded to T once, after every block has been added.</summary>
internal static class FloatAccumulation
{
    /// <summary><paramref name="sum"/>[i] += <paramref name="addend"/>[i] (converted to fp32 through <paramref name="scratch"/>).</summary>
    internal static void Add<T>(Span<float> sum, ReadOnlySpan<T> addend, Span<float> scratch) where T : unmanaged
    {
        Span<float> widened = scratch[..addend.Length];
        Conversion.Convert<T, float>(addend, widened);
        Add(sum, widened);
    }

    internal static void Add(Span<float> sum, ReadOnlySpan<float> addend)
    {
        int i = 0;
        for (; i <= sum.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(sum[i..]) + new Vector<float>(addend[i..])).CopyTo(sum[i..]);
        }
        for (; i < sum.Length; i++)
        {
            sum[i] += addend[i];
        }
    }
}
