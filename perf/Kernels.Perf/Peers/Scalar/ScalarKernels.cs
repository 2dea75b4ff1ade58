using Kernels.Perf.Core;
using static Kernels.Perf.Peers.Scalar.ScalarElement;

namespace Kernels.Perf.Peers.Scalar;

/// <summary>
/// The naive loops a C# developer would write first: one element at a time, one accumulator. Split
/// over threads like ours, so the ratio shows what SIMD (not threading) buys.
/// </summary>
public static class ScalarKernels
{
    public static Action CombineSum<T>(NativeBuffer a, NativeBuffer b, NativeBuffer destination, int count, int threads)
        where T : unmanaged =>
        () => RangePartition.For(count, 3L * SizeOf<T>(), threads, 64, (start, length) =>
        {
            Span<T> sa = a.Span<T>(count), sb = b.Span<T>(count), sd = destination.Span<T>(count);
            for (int i = start; i < start + length; i++)
            {
                sd[i] = Store<T>(Load(sa[i]) + Load(sb[i]));
            }
        });

    public static Action AccumulateSum<T>(NativeBuffer destination, NativeBuffer source, int count, int threads)
        where T : unmanaged =>
        () => RangePartition.For(count, 3L * SizeOf<T>(), threads, 64, (start, length) =>
        {
            Span<T> sd = destination.Span<T>(count), ss = source.Span<T>(count);
            for (int i = start; i < start + length; i++)
            {
                sd[i] = Store<T>(Load(sd[i]) + Load(ss[i]));
            }
        });

    public static Action Convert<TFrom, TTo>(NativeBuffer source, NativeBuffer destination, int count, int threads)
        where TFrom : unmanaged where TTo : unmanaged =>
        () => RangePartition.For(count, SizeOf<TFrom>() + SizeOf<TTo>(), threads, 64, (start, length) =>
        {
            Span<TFrom> s = source.Span<TFrom>(count);
            Span<TTo> d = destination.Span<TTo>(count);
            for (int i = start; i < start + length; i++)
            {
                d[i] = Store<TTo>(Load(s[i]));
            }
        });

    public static Action Normalize<T>(NativeBuffer x, NativeBuffer weight, NativeBuffer y, int rows, int cols, float eps, int threads)
        where T : unmanaged =>
        () => RangePartition.For(rows, 2L * cols * SizeOf<T>(), threads, 1, (start, count) =>
        {
            Span<T> xs = x.Span<T>((long)rows * cols), ys = y.Span<T>((long)rows * cols), w = weight.Span<T>(cols);
            for (int row = start; row < start + count; row++)
            {
                NormalizeRow(xs.Slice(row * cols, cols), w, ys.Slice(row * cols, cols), eps);
            }
        });

    public static Action AddNormalize<T>(NativeBuffer x, NativeBuffer residual, NativeBuffer weight, NativeBuffer y,
        int rows, int cols, float eps, int threads) where T : unmanaged =>
        () => RangePartition.For(rows, 4L * cols * SizeOf<T>(), threads, 1, (start, count) =>
        {
            Span<T> xs = x.Span<T>((long)rows * cols), rs = residual.Span<T>((long)rows * cols);
            Span<T> ys = y.Span<T>((long)rows * cols), w = weight.Span<T>(cols);
            for (int row = start; row < start + count; row++)
            {
                Span<T> xr = xs.Slice(row * cols, cols), r = rs.Slice(row * cols, cols);
                for (int i = 0; i < cols; i++)
                {
                    r[i] = Store<T>(Load(xr[i]) + Load(r[i]));
                }
                NormalizeRow(r, w, ys.Slice(row * cols, cols), eps);
            }
        });

    private static void NormalizeRow<T>(Span<T> x, Span<T> weight, Span<T> y, float eps) where T : unmanaged
    {
        float sumOfSquares = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float v = Load(x[i]);
            sumOfSquares += v * v;
        }
        float inverseRms = 1f / MathF.Sqrt(sumOfSquares / x.Length + eps);
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Store<T>(Load(x[i]) * inverseRms * Load(weight[i]));
        }
    }

    private static unsafe int SizeOf<T>() where T : unmanaged => sizeof(T);
}
