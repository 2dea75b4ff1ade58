using Kernels.Execution;
using Kernels.Interop;

namespace Kernels;

/// <summary>Converts between the storage types <see cref="float"/>, <see cref="Half"/> and <see cref="BFloat16"/>, with an optional scale.</summary>
/// <remarks>
/// <c>destination[i] = (TTo)(source[i] * scale)</c> computed in fp32 and rounded to nearest even; values beyond the
/// destination's range become infinity, NaN stays NaN, subnormals are kept. The multiply is skipped when <c>scale == 1</c>,
/// so widening conversions are then exact and a same-type conversion is a copy.
/// </remarks>
public static unsafe class Conversion
{
    /// <summary>Converts <paramref name="source"/> into <paramref name="destination"/>, multiplying by <paramref name="scale"/> first.</summary>
    /// <param name="source">Values to convert.</param>
    /// <param name="destination">Same length as <paramref name="source"/>. May be exactly the same memory only when both types have the same size.</param>
    /// <param name="scale">Multiplier applied in fp32 before rounding; must be finite.</param>
    /// <exception cref="ArgumentException">Lengths differ, the spans overlap (other than the exact same memory for same-size types), or <paramref name="scale"/> is not finite.</exception>
    /// <exception cref="NotSupportedException">A type is not float, Half or BFloat16.</exception>
    public static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination, float scale = 1f)
        where TFrom : unmanaged where TTo : unmanaged
    {
        kn_dtype from = ElementTypes.Of<TFrom>();
        kn_dtype to = ElementTypes.Of<TTo>();
        SpanRules.SameLength(source, (ReadOnlySpan<TTo>)destination, nameof(source), nameof(destination));
        SpanRules.NoOverlap(source, (ReadOnlySpan<TTo>)destination, nameof(source), nameof(destination),
            exactAliasAllowed: sizeof(TFrom) == sizeof(TTo));
        SpanRules.Finite(scale, nameof(scale));
        if (source.IsEmpty)
        {
            return;
        }

        fixed (TFrom* ps = source)
        fixed (TTo* pd = destination)
        {
            int parts = WorkPartition.PartsFor(source.Length, sizeof(TFrom) + sizeof(TTo));
            if (parts == 1)
            {
                Native.Check(NativeMethods.kn_convert(from, ps, to, pd, (nuint)source.Length, scale));
                return;
            }
            nint isrc = (nint)ps, idst = (nint)pd;
            WorkPartition.Run(source.Length, parts, (start, count) => NativeMethods.kn_convert(
                from, (TFrom*)isrc + start, to, (TTo*)idst + start, (nuint)count, scale));
        }
    }
}
