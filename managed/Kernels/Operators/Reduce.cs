using Kernels.Execution;
using Kernels.Interop;

namespace Kernels;

/// <summary>
/// Element-wise reductions of two buffers, the building block of every collective:
/// <c>destination[i] = op(a[i], b[i]) * scale</c> and <c>destination[i] = op(destination[i], source[i]) * scale</c>.
/// </summary>
/// <remarks>
/// <para>Element types: <see cref="float"/>, <see cref="Half"/> and <see cref="BFloat16"/>. Arithmetic is fp32; reduced
/// precision results are rounded to nearest even once, after the scale.</para>
/// <para>NaN: <see cref="ReduceOp.Sum"/> follows IEEE addition; <see cref="ReduceOp.Max"/> and <see cref="ReduceOp.Min"/>
/// return NaN when either operand is NaN (unlike <see cref="Math.Max(float, float)"/> on x86 hardware).</para>
/// <para>The scale multiply is skipped when <c>scale == 1</c>, so the result is then exactly <c>op(a, b)</c> rounded once.
/// Large buffers are split over <see cref="KernelThreading.MaxDegreeOfParallelism"/> threads; the result does not depend on the split.</para>
/// </remarks>
public static unsafe class Reduce
{
    /// <summary>Computes <c>destination[i] = op(a[i], b[i]) * scale</c>.</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand; same length as <paramref name="a"/>. May overlap <paramref name="a"/>.</param>
    /// <param name="destination">Result; same length. May be exactly <paramref name="a"/> or <paramref name="b"/>, but may not overlap them otherwise.</param>
    /// <param name="op"><see cref="ReduceOp.Sum"/>, <see cref="ReduceOp.Max"/> or <see cref="ReduceOp.Min"/>.</param>
    /// <param name="scale">Multiplier applied to the result (e.g. 1/n to average); must be finite.</param>
    /// <exception cref="ArgumentException">Lengths differ, <paramref name="destination"/> partially overlaps an input,
    /// <paramref name="op"/> is <see cref="ReduceOp.Avg"/> or undefined, or <paramref name="scale"/> is not finite.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Combine<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, ReduceOp op, float scale = 1f)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        kn_reduce_op nativeOp = NativeOp(op);
        SpanRules.SameLength(a, b, nameof(a), nameof(b));
        SpanRules.SameLength(a, (ReadOnlySpan<T>)destination, nameof(a), nameof(destination));
        SpanRules.NoOverlap(a, (ReadOnlySpan<T>)destination, nameof(a), nameof(destination), exactAliasAllowed: true);
        SpanRules.NoOverlap(b, (ReadOnlySpan<T>)destination, nameof(b), nameof(destination), exactAliasAllowed: true);
        SpanRules.Finite(scale, nameof(scale));
        if (a.IsEmpty)
        {
            return;
        }

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pd = destination)
        {
            int parts = WorkPartition.PartsFor(a.Length, 3L * sizeof(T));
            if (parts == 1)
            {
                Native.Check(NativeMethods.kn_reduce(dtype, nativeOp, pa, pb, pd, (nuint)a.Length, scale));
                return;
            }
            nint ia = (nint)pa, ib = (nint)pb, id = (nint)pd;
            WorkPartition.Run(a.Length, parts, (start, count) => NativeMethods.kn_reduce(
                dtype, nativeOp, (T*)ia + start, (T*)ib + start, (T*)id + start, (nuint)count, scale));
        }
    }

    /// <summary>Computes <c>destination[i] = op(destination[i], source[i]) * scale</c>.</summary>
    /// <param name="destination">Accumulator, read and written.</param>
    /// <param name="source">Values folded in; same length. May be exactly <paramref name="destination"/> but may not overlap it otherwise.</param>
    /// <param name="op"><see cref="ReduceOp.Sum"/>, <see cref="ReduceOp.Max"/> or <see cref="ReduceOp.Min"/>.</param>
    /// <param name="scale">Multiplier applied to the result; must be finite.</param>
    /// <exception cref="ArgumentException">Lengths differ, the spans partially overlap, <paramref name="op"/> is
    /// <see cref="ReduceOp.Avg"/> or undefined, or <paramref name="scale"/> is not finite.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Accumulate<T>(Span<T> destination, ReadOnlySpan<T> source, ReduceOp op, float scale = 1f)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        kn_reduce_op nativeOp = NativeOp(op);
        SpanRules.SameLength((ReadOnlySpan<T>)destination, source, nameof(destination), nameof(source));
        SpanRules.NoOverlap(source, (ReadOnlySpan<T>)destination, nameof(source), nameof(destination), exactAliasAllowed: true);
        SpanRules.Finite(scale, nameof(scale));
        if (destination.IsEmpty)
        {
            return;
        }

        fixed (T* pd = destination)
        fixed (T* ps = source)
        {
            int parts = WorkPartition.PartsFor(destination.Length, 3L * sizeof(T));
            if (parts == 1)
            {
                Native.Check(NativeMethods.kn_reduce_accumulate(dtype, nativeOp, pd, ps, (nuint)destination.Length, scale));
                return;
            }
            nint id = (nint)pd, isrc = (nint)ps;
            WorkPartition.Run(destination.Length, parts, (start, count) => NativeMethods.kn_reduce_accumulate(
                dtype, nativeOp, (T*)id + start, (T*)isrc + start, (nuint)count, scale));
        }
    }

    private static kn_reduce_op NativeOp(ReduceOp op) => op switch
    {
        ReduceOp.Sum => kn_reduce_op.KN_OP_SUM,
        ReduceOp.Max => kn_reduce_op.KN_OP_MAX,
        ReduceOp.Min => kn_reduce_op.KN_OP_MIN,
        ReduceOp.Avg => throw new ArgumentException(
            "Avg needs the number of contributions: use ReduceOp.Sum with scale = 1 / n.", nameof(op)),
        _ => throw new ArgumentException($"Undefined ReduceOp value {(int)op}.", nameof(op)),
    };
}
