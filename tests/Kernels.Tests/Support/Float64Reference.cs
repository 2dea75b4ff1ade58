namespace Kernels.Tests.Support;

/// <summary>Plain scalar float64 references of the kernels; the tests' independent oracle.</summary>
internal static class Float64Reference
{
    internal static double Apply(ReduceOp op, double a, double b) => op switch
    {
        ReduceOp.Sum => a + b,
        ReduceOp.Max => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b),
        ReduceOp.Min => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    internal static double[] Reduce<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReduceOp op, double scale) where T : unmanaged
    {
        var result = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            result[i] = Apply(op, Values.ToDouble(a[i]), Values.ToDouble(b[i])) * scale;
        }
        return result;
    }

    /// <summary>y = x / sqrt(mean(x^2) + eps) * w per row, all in double.</summary>
    internal static double[] RmsNorm<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, int cols, double eps) where T : unmanaged
    {
        var y = new double[x.Length];
        for (int row = 0; row < x.Length / cols; row++)
        {
            double sumOfSquares = 0;
            for (int c = 0; c < cols; c++)
            {
                double v = Values.ToDouble(x[row * cols + c]);
                sumOfSquares += v * v;
            }
            double inverseRms = 1.0 / Math.Sqrt(sumOfSquares / cols + eps);
            for (int c = 0; c < cols; c++)
            {
                y[row * cols + c] = Values.ToDouble(x[row * cols + c]) * inverseRms * Values.ToDouble(weight[c]);
            }
        }
        return y;
    }
}
