using Kernels.Perf.Core;
using Tp = System.Numerics.Tensors.TensorPrimitives;

namespace Kernels.Perf.Peers.TensorPrimitives;

/// <summary>
/// RMSNorm and add+RMSNorm as the best TensorPrimitives compositions found, one row at a time so the
/// row stays in L1 between passes: SumOfSquares, then Multiply by weight and by the scalar 1/rms (two
/// passes; TensorPrimitives has no multiply-by-vector-and-scalar in one). Add+RMSNorm puts Add first,
/// writing the residual back. bf16 rows are widened to f32 scratch rows and rounded back.
/// </summary>
public static class TensorPrimitivesRmsNorm
{
    [ThreadStatic] private static float[]? t_rowX;
    [ThreadStatic] private static float[]? t_rowResidual;
    [ThreadStatic] private static float[]? t_weight;

    public static Action Normalize(NativeBuffer x, NativeBuffer weight, NativeBuffer y, int rows, int cols, float eps, int threads) =>
        () => RangePartition.For(rows, 2L * cols * sizeof(float), threads, 1, (start, count) =>
        {
            ReadOnlySpan<float> w = weight.Span<float>(cols);
            Span<float> xs = x.Span<float>((long)rows * cols), ys = y.Span<float>((long)rows * cols);
            for (int row = start; row < start + count; row++)
            {
                NormalizeRow(xs.Slice(row * cols, cols), w, ys.Slice(row * cols, cols), eps);
            }
        });

    public static Action AddNormalize(NativeBuffer x, NativeBuffer residual, NativeBuffer weight, NativeBuffer y,
        int rows, int cols, float eps, int threads) =>
        () => RangePartition.For(rows, 4L * cols * sizeof(float), threads, 1, (start, count) =>
        {
            ReadOnlySpan<float> w = weight.Span<float>(cols);
            Span<float> xs = x.Span<float>((long)rows * cols), rs = residual.Span<float>((long)rows * cols);
            Span<float> ys = y.Span<float>((long)rows * cols);
            for (int row = start; row < start + count; row++)
            {
                Span<float> r = rs.Slice(row * cols, cols);
                Tp.Add(xs.Slice(row * cols, cols), r, r);
                NormalizeRow(r, w, ys.Slice(row * cols, cols), eps);
            }
        });

    public static Action NormalizeBFloat16(NativeBuffer x, NativeBuffer weight, NativeBuffer y, int rows, int cols, float eps, int threads) =>
        () => RangePartition.For(rows, 2L * cols * 2, threads, 1, (start, count) =>
        {
            Span<float> w = Scratch(ref t_weight, cols), fx = Scratch(ref t_rowX, cols);
            BFloat16Vectors.ToSingle(weight.Span<BFloat16>(cols), w);
            Span<BFloat16> xs = x.Span<BFloat16>((long)rows * cols), ys = y.Span<BFloat16>((long)rows * cols);
            for (int row = start; row < start + count; row++)
            {
                BFloat16Vectors.ToSingle(xs.Slice(row * cols, cols), fx);
                NormalizeRow(fx, w, fx, eps);
                BFloat16Vectors.FromSingle(fx, ys.Slice(row * cols, cols));
            }
        });

    public static Action AddNormalizeBFloat16(NativeBuffer x, NativeBuffer residual, NativeBuffer weight, NativeBuffer y,
        int rows, int cols, float eps, int threads) =>
        () => RangePartition.For(rows, 4L * cols * 2, threads, 1, (start, count) =>
        {
            Span<float> w = Scratch(ref t_weight, cols), fx = Scratch(ref t_rowX, cols), fr = Scratch(ref t_rowResidual, cols);
            BFloat16Vectors.ToSingle(weight.Span<BFloat16>(cols), w);
            Span<BFloat16> xs = x.Span<BFloat16>((long)rows * cols), rs = residual.Span<BFloat16>((long)rows * cols);
            Span<BFloat16> ys = y.Span<BFloat16>((long)rows * cols);
            for (int row = start; row < start + count; row++)
            {
                Span<BFloat16> r = rs.Slice(row * cols, cols);
                BFloat16Vectors.ToSingle(xs.Slice(row * cols, cols), fx);
                BFloat16Vectors.ToSingle(r, fr);
                Tp.Add(fx, fr, fr);
                BFloat16Vectors.FromSingle(fr, r);
                // Normalise the stored (rounded) residual, as the library's contract says.
                BFloat16Vectors.ToSingle(r, fr);
                NormalizeRow(fr, w, fx, eps);
                BFloat16Vectors.FromSingle(fx, ys.Slice(row * cols, cols));
            }
        });

    private static void NormalizeRow(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        float inverseRms = 1f / MathF.Sqrt(Tp.SumOfSquares(x) / x.Length + eps);
        Tp.Multiply(x, weight, y);
        Tp.Multiply(y, inverseRms, y);
    }

    private static Span<float> Scratch(ref float[]? row, int cols)
    {
        if (row is null || row.Length < cols)
        {
            row = new float[cols];
        }
        return row.AsSpan(0, cols);
    }
}
