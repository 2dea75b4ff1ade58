namespace Kernels.Cuda;

/// <summary>
/// <see cref="Conversion"/> on device buffers: the same semantics and bits (round to nearest even, NaN kept NaN, a
/// same-type conversion with scale 1 copies exactly), queued on a stream.
/// </summary>
public static class CudaConversion
{
    /// <summary>Queues <c>destination[i] = (TTo)(source[i] * scale)</c> on <paramref name="stream"/>.</summary>
    /// <param name="source">Input.</param>
    /// <param name="destination">Output; same length as <paramref name="source"/>; may be <paramref name="source"/> itself when both types are the same.</param>
    /// <param name="stream">The stream; both buffers must be on its device.</param>
    /// <param name="scale">Multiplier applied before rounding; must be finite (1 skips the multiply).</param>
    /// <exception cref="ArgumentException">Lengths differ, a buffer is on another device, or <paramref name="scale"/> is not finite.</exception>
    /// <exception cref="NotSupportedException">A type is not float, Half or BFloat16.</exception>
    public static void Convert<TFrom, TTo>(DeviceBuffer<TFrom> source, DeviceBuffer<TTo> destination, CudaStream stream, float scale = 1f)
        where TFrom : unmanaged where TTo : unmanaged
    {
        string from = DeviceArguments.Storage<TFrom>(), to = DeviceArguments.Storage<TTo>();
        ArgumentNullException.ThrowIfNull(stream);
        ulong ps = DeviceArguments.Pointer(source, stream, nameof(source));
        ulong pd = DeviceArguments.Pointer(destination, stream, nameof(destination));
        DeviceArguments.SameLength(source, destination, nameof(source), nameof(destination));
        if (!float.IsFinite(scale))
            throw new ArgumentException($"must be finite, was {scale}", nameof(scale));
        if (source.Length == 0)
            return;

        CudaKernel kernel = stream.Device.Kernels.Get(CudaKernelSources.Convert, $"kn::convert_elements<{from}, {to}>");
        kernel.Launch(stream, CudaLaunchPlans.Elementwise(source.Length, stream.Device.MultiprocessorCount),
            new ConvertKernelArgs(ps, pd, (ulong)source.Length, scale));
    }
}
