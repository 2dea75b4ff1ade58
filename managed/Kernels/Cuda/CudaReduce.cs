namespace Kernels.Cuda;

/// <summary>
/// <see cref="Reduce"/> on device buffers: the same semantics and the same bits (cuda/reduce.cu reproduces the CPU
/// kernels' NaN, signed-zero and rounding rules), queued on a stream.
/// </summary>
public static class CudaReduce
{
    /// <summary>Queues <c>destination[i] = op(a[i], b[i]) * scale</c> on <paramref name="stream"/>.</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand; same length as <paramref name="a"/>.</param>
    /// <param name="destination">Result; same length; may be <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="op"><see cref="ReduceOp.Sum"/>, <see cref="ReduceOp.Max"/> or <see cref="ReduceOp.Min"/>.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <param name="scale">Multiplier applied to the result; must be finite (1 skips the multiply).</param>
    /// <exception cref="ArgumentException">Lengths differ, a buffer is on another device, <paramref name="op"/> is
    /// <see cref="ReduceOp.Avg"/> or undefined, or <paramref name="scale"/> is not finite.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Combine<T>(DeviceBuffer<T> a, DeviceBuffer<T> b, DeviceBuffer<T> destination, ReduceOp op, CudaStream stream, float scale = 1f)
        where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        string opName = KernelOp(op);
        ArgumentNullException.ThrowIfNull(stream);
        ulong pa = DeviceArguments.Pointer(a, stream, nameof(a));
        ulong pb = DeviceArguments.Pointer(b, stream, nameof(b));
        ulong pd = DeviceArguments.Pointer(destination, stream, nameof(destination));
        DeviceArguments.SameLength(a, b, nameof(a), nameof(b));
        DeviceArguments.SameLength(a, destination, nameof(a), nameof(destination));
        if (!float.IsFinite(scale))
            throw new ArgumentException($"must be finite, was {scale}", nameof(scale));
        if (a.Length == 0)
            return;

        CudaKernel kernel = stream.Device.Kernels.Get(CudaKernelSources.Reduce, $"kn::reduce_elements<{storage}, {opName}>");
        kernel.Launch(stream, CudaLaunchPlans.Elementwise(a.Length, stream.Device.MultiprocessorCount),
            new ReduceKernelArgs(pa, pb, pd, (ulong)a.Length, scale));
    }

    /// <summary>Queues <c>destination[i] = op(destination[i], source[i]) * scale</c> on <paramref name="stream"/>.</summary>
    /// <inheritdoc cref="Combine{T}"/>
    public static void Accumulate<T>(DeviceBuffer<T> destination, DeviceBuffer<T> source, ReduceOp op, CudaStream stream, float scale = 1f)
        where T : unmanaged
        => Combine(destination, source, destination, op, stream, scale);

    private static string KernelOp(ReduceOp op) => op switch
    {
        ReduceOp.Sum => "kn::SumOp",
        ReduceOp.Max => "kn::MaxOp",
        ReduceOp.Min => "kn::MinOp",
        _ => throw new ArgumentException($"{op} is not an element-wise kernel op (Sum, Max or Min)", nameof(op)),
    };
}
