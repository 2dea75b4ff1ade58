using Kernels.Execution;
using Kernels.Interop;

namespace Kernels;

/// <summary>
/// Root-mean-square normalisation over the rows of a row-major (rows, cols) matrix, alone or fused with
/// the residual add that precedes it in a transformer block.
/// </summary>
/// <remarks>
/// <para>Per row: <c>y = x / sqrt(sum(x^2) / cols + eps) * weight</c>, computed in fp32 (the sum of squares is accumulated in
/// fp32 in a fixed order, so a given SIMD target always gives the same bits) and rounded once to the storage type.</para>
/// <para>NaN and infinity follow the formula in fp32: a NaN in a row makes that whole output row NaN; an infinity makes the
/// inverse RMS zero, so its row becomes zeros with NaN (infinity * 0) where the infinity was. Other rows are unaffected.
/// A row of zeros gives zeros.</para>
/// <para>Rows are split over <see cref="KernelThreading.MaxDegreeOfParallelism"/> threads for large inputs; the split never changes results.</para>
/// </remarks>
public static unsafe class RmsNorm
{
    /// <summary>Normalises each row of <paramref name="x"/> into <paramref name="y"/>; the row count is <c>x.Length / cols</c>.</summary>
    /// <inheritdoc cref="Normalize{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, float)"/>
    public static void Normalize<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> y, int cols, float eps)
        where T : unmanaged
        => Normalize(x, weight, y, RowsOf(x.Length, cols, nameof(x)), cols, eps);

    /// <summary>Normalises each of the <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Input, (rows, cols) row-major.</param>
    /// <param name="weight">Per-column gain, length <paramref name="cols"/>; may not overlap <paramref name="y"/>.</param>
    /// <param name="y">Output, same length as <paramref name="x"/>. May be exactly <paramref name="x"/> (in place) but may not overlap it otherwise.</param>
    /// <param name="rows">Number of rows (0 is a no-op).</param>
    /// <param name="cols">Row width, at least 1.</param>
    /// <param name="eps">Added to the mean square; must be finite and greater than zero.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape, <c>rows * cols</c> overflows, <paramref name="cols"/> &lt; 1,
    /// <paramref name="eps"/> is not finite and positive, or outputs overlap inputs other than as documented.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Normalize<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> y, int rows, int cols, float eps)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        CheckShape(x.Length, rows, cols, nameof(x));
        SpanRules.SameLength(x, (ReadOnlySpan<T>)y, nameof(x), nameof(y));
        CheckWeight(weight.Length, cols);
        CheckOutputAndEps(x, weight, y, eps);
        if (rows == 0)
        {
            return;
        }

        fixed (T* px = x)
        fixed (T* pw = weight)
        fixed (T* py = y)
        {
            int parts = WorkPartition.PartsFor(rows, 2L * cols * sizeof(T), minItemsPerPart: 1);
            if (parts == 1)
            {
                Native.Check(NativeMethods.kn_rms_norm(dtype, px, pw, py, (nuint)rows, (nuint)cols, eps));
                return;
            }
            nint ix = (nint)px, iw = (nint)pw, iy = (nint)py;
            WorkPartition.Run(rows, parts, (start, count) => NativeMethods.kn_rms_norm(
                dtype, (T*)ix + start * cols, (T*)iw, (T*)iy + start * cols, (nuint)count, (nuint)cols, eps), alignment: 1);
        }
    }

    /// <summary>Fused residual add and RMSNorm; the row count is <c>x.Length / cols</c>.</summary>
    /// <inheritdoc cref="AddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, int, float)"/>
    public static void AddRmsNorm<T>(ReadOnlySpan<T> x, Span<T> residual, ReadOnlySpan<T> weight, Span<T> y, int cols, float eps)
        where T : unmanaged
        => AddRmsNorm(x, residual, weight, y, RowsOf(x.Length, cols, nameof(x)), cols, eps);

    /// <summary>
    /// Fused residual add and RMSNorm: <c>residual = x + residual</c> (rounded to <typeparamref name="T"/> and written back), then
    /// <c>y = RMSNorm(residual) * weight</c> of the rounded residual, in two passes over each row (the second from cache).
    /// </summary>
    /// <param name="x">The sub-layer output, (rows, cols) row-major.</param>
    /// <param name="residual">The residual stream, read and updated in place; same length; may not overlap any other argument.</param>
    /// <param name="weight">Per-column gain, length <paramref name="cols"/>; may not overlap <paramref name="y"/>.</param>
    /// <param name="y">Normalised output, same length. May be exactly <paramref name="x"/> but may not overlap it otherwise.</param>
    /// <param name="rows">Number of rows (0 is a no-op).</param>
    /// <param name="cols">Row width, at least 1.</param>
    /// <param name="eps">Added to the mean square; must be finite and greater than zero.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape, <c>rows * cols</c> overflows, <paramref name="cols"/> &lt; 1,
    /// <paramref name="eps"/> is not finite and positive, or spans overlap other than as documented.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void AddRmsNorm<T>(ReadOnlySpan<T> x, Span<T> residual, ReadOnlySpan<T> weight, Span<T> y, int rows, int cols, float eps)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        CheckShape(x.Length, rows, cols, nameof(x));
        SpanRules.SameLength(x, (ReadOnlySpan<T>)residual, nameof(x), nameof(residual));
        SpanRules.SameLength(x, (ReadOnlySpan<T>)y, nameof(x), nameof(y));
        CheckWeight(weight.Length, cols);
        SpanRules.NoOverlap(x, (ReadOnlySpan<T>)residual, nameof(x), nameof(residual), exactAliasAllowed: false);
        SpanRules.NoOverlap(weight, (ReadOnlySpan<T>)residual, nameof(weight), nameof(residual), exactAliasAllowed: false);
        SpanRules.NoOverlap((ReadOnlySpan<T>)residual, (ReadOnlySpan<T>)y, nameof(residual), nameof(y), exactAliasAllowed: false);
        CheckOutputAndEps(x, weight, y, eps);
        if (rows == 0)
        {
            return;
        }

        fixed (T* px = x)
        fixed (T* pr = residual)
        fixed (T* pw = weight)
        fixed (T* py = y)
        {
            int parts = WorkPartition.PartsFor(rows, 4L * cols * sizeof(T), minItemsPerPart: 1);
            if (parts == 1)
            {
                Native.Check(NativeMethods.kn_add_rms_norm(dtype, px, pr, pw, py, (nuint)rows, (nuint)cols, eps));
                return;
            }
            nint ix = (nint)px, ir = (nint)pr, iw = (nint)pw, iy = (nint)py;
            WorkPartition.Run(rows, parts, (start, count) => NativeMethods.kn_add_rms_norm(
                dtype, (T*)ix + start * cols, (T*)ir + start * cols, (T*)iw, (T*)iy + start * cols, (nuint)count, (nuint)cols, eps), alignment: 1);
        }
    }

    private static int RowsOf(int length, int cols, string name)
    {
        if (cols < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be at least 1.");
        }
        if (length % cols != 0)
        {
            throw new ArgumentException($"{name} has {length} elements, which is not a whole number of rows of {cols} columns.", name);
        }
        return length / cols;
    }

    private static void CheckShape(int length, int rows, int cols, string name)
    {
        if (cols < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be at least 1.");
        }
        if (rows < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must not be negative.");
        }
        long elements = (long)rows * cols;
        if (elements > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows * cols = {elements} overflows a span's length.");
        }
        if (elements != length)
        {
            throw new ArgumentException($"{name} has {length} elements but rows * cols = {rows} * {cols} = {elements}.", name);
        }
    }

    /// <summary>The last checks of both operations, which write y from x and weight the same way: y may be exactly x (in place)
    /// but may not overlap it otherwise, nor overlap weight; eps must be finite and positive.</summary>
    private static void CheckOutputAndEps<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> y, float eps)
        where T : unmanaged
    {
        SpanRules.NoOverlap(x, y, nameof(x), nameof(y), exactAliasAllowed: true);
        SpanRules.NoOverlap(weight, y, nameof(weight), nameof(y), exactAliasAllowed: false);
        SpanRules.PositiveFinite(eps, nameof(eps));
    }

    private static void CheckWeight(int weightLength, int cols)
    {
        if (weightLength != cols)
        {
            throw new ArgumentException($"weight has {weightLength} elements but cols = {cols}; they must be equal.", "weight");
        }
    }
}
