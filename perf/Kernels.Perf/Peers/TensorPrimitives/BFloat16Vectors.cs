using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kernels.Perf.Peers.TensorPrimitives;

/// <summary>
/// bf16 &lt;-&gt; f32 conversion with Vector256: the glue that lets TensorPrimitives (which has no bf16)
/// work on bf16 data, and the "Vector256 C#" peer of our conversion kernels. Same rounding as the
/// library: round to nearest even, NaN stays NaN (quietened).
/// </summary>
public static class BFloat16Vectors
{
    public static void ToSingle(ReadOnlySpan<BFloat16> source, Span<float> destination)
    {
        ReadOnlySpan<ushort> bits = MemoryMarshal.Cast<BFloat16, ushort>(source);
        Span<uint> wide = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        for (; i + Vector256<ushort>.Count <= bits.Length; i += Vector256<ushort>.Count)
        {
            (Vector256<uint> lower, Vector256<uint> upper) = Vector256.Widen(Vector256.Create(bits.Slice(i)));
            (lower << 16).CopyTo(wide.Slice(i));
            (upper << 16).CopyTo(wide.Slice(i + Vector256<uint>.Count));
        }
        for (; i < bits.Length; i++)
        {
            wide[i] = (uint)bits[i] << 16;
        }
    }

    public static void FromSingle(ReadOnlySpan<float> source, Span<BFloat16> destination)
    {
        ReadOnlySpan<uint> wide = MemoryMarshal.Cast<float, uint>(source);
        Span<ushort> bits = MemoryMarshal.Cast<BFloat16, ushort>(destination);
        int i = 0;
        for (; i + Vector256<ushort>.Count <= wide.Length; i += Vector256<ushort>.Count)
        {
            Vector256<uint> lower = Round(Vector256.Create(wide.Slice(i)));
            Vector256<uint> upper = Round(Vector256.Create(wide.Slice(i + Vector256<uint>.Count)));
            Vector256.Narrow(lower, upper).CopyTo(bits.Slice(i));
        }
        for (; i < wide.Length; i++)
        {
            destination[i] = (BFloat16)source[i];
        }
    }

    /// <summary>The upper 16 bits after round-to-nearest-even; NaN keeps its top bits with the quiet bit set.</summary>
    private static Vector256<uint> Round(Vector256<uint> bits)
    {
        Vector256<uint> rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        Vector256<float> values = bits.AsSingle();
        Vector256<uint> isNaN = ~Vector256.Equals(values, values).AsUInt32();
        return Vector256.ConditionalSelect(isNaN, (bits >> 16) | Vector256.Create(0x40u), rounded);
    }
}
