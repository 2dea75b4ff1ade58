namespace Kernels.Cuda;

/// <summary>
/// <see cref="RmsNorm"/> on device buffers, queued on a stream: the same formula and NaN behaviour, fp32 accumulation in a
/// fixed order per launch shape (results differ from the CPU's by rounding only). Rows up to 1024 wide get a warp each,
/// wider rows a block each.
/// </summary>
public static class CudaRmsNorm
{
    /// <summary>Queues <c>y = x / sqrt(mean(x^2) + eps) * weight</c> per row of <paramref name="x"/> (rows = x.Length / cols).</summary>
    /// <param name="x">Input, (rows, cols) row-major.</param>
    /// <param name="weight">Per-column gain, length <paramref name="cols"/>.</param>
    /// <param name="y">Output, same length as <paramref name="x"/>; may be <paramref name="x"/> itself, not <paramref name="weight"/>.</param>
    /// <param name="cols">Row width, at least 1, dividing x.Length.</param>
    /// <param name="eps">Added to the mean square; finite and greater than zero.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape, a buffer is on another device, or <paramref name="eps"/> is not finite and positive.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Normalize<T>(DeviceBuffer<T> x, DeviceBuffer<T> weight, DeviceBuffer<T> y, int cols, float eps, CudaStream stream)
        where T : unmanaged
        => Launch(x, null, weight, y, cols, eps, stream, add: false);

    /// <summary>Queues, per row: <c>residual = round(x + residual)</c> (written back), then <c>y = RMSNorm(residual) * weight</c>.</summary>
    /// <param name="x">Input, (rows, cols) row-major.</param>
    /// <param name="residual">Residual stream, same length as <paramref name="x"/>; updated.</param>
    /// <param name="weight">Per-column gain, length <paramref name="cols"/>.</param>
    /// <param name="y">Output, same length as <paramref name="x"/>; may be <paramref name="x"/> itself, not <paramref name="weight"/>.</param>
    /// <param name="cols">Row width, at least 1, dividing x.Length.</param>
    /// <param name="eps">Added to the mean square; finite and greater than zero.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape, a buffer is on another device, or <paramref name="eps"/> is not finite and positive.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void AddRmsNorm<T>(DeviceBuffer<T> x, DeviceBuffer<T> residual, DeviceBuffer<T> weight, DeviceBuffer<T> y, int cols, float eps,
        CudaStream stream) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(residual);
        Launch(x, residual, weight, y, cols, eps, stream, add: true);
    }

    private static void Launch<T>(DeviceBuffer<T> x, DeviceBuffer<T>? residual, DeviceBuffer<T> weight, DeviceBuffer<T> y, int cols, float eps,
        CudaStream stream, bool add) where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        ArgumentNullException.ThrowIfNull(stream);
        ulong px = DeviceArguments.Pointer(x, stream, nameof(x));
        ulong pr = residual == null ? 0 : DeviceArguments.Pointer(residual, stream, nameof(residual));
        ulong pw = DeviceArguments.Pointer(weight, stream, nameof(weight));
        ulong py = DeviceArguments.Pointer(y, stream, nameof(y));
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (x.Length % cols != 0)
            throw new ArgumentException($"has {x.Length} elements, not a whole number of rows of {cols}", nameof(x));
        if (weight.Length != cols)
            throw new ArgumentException($"has {weight.Length} elements but cols is {cols}", nameof(weight));
        DeviceArguments.SameLength(x, y, nameof(x), nameof(y));
        if (ReferenceEquals(weight, y))
            throw new ArgumentException("may not be the weight buffer: later rows still read the weights", nameof(y));
        if (residual != null)
            DeviceArguments.SameLength(x, residual, nameof(x), nameof(residual));
        if (!float.IsFinite(eps) || eps <= 0)
            throw new ArgumentException($"must be finite and greater than zero, was {eps}", nameof(eps));
        long rows = x.Length / cols;
        if (rows == 0)
            return;

        var (layout, shape) = CudaLaunchPlans.Norm(rows, cols, stream.Device.MultiprocessorCount);
        string kernel = (add ? "kn::add_rms_norm" : "kn::rms_norm") + (layout == NormLayout.WarpPerRow ? "_warp_per_row" : "_block_per_row");
        stream.Device.Kernels.Get(CudaKernelSources.RmsNorm, $"{kernel}<{storage}>")
            .Launch(stream, shape, new NormKernelArgs(px, pr, pw, py, (ulong)rows, (ulong)cols, eps));
    }
}
