namespace Kernels.Cuda;

/// <summary>
/// The element-wise steps of the error-feedback layers (<see cref="Compression.ErrorFeedback"/>: EF21 and EControl) on fp32
/// device buffers, queued on a stream, with the CPU's exact bits (same operation order, x86 NaN results, negation as a sign
/// flip). The compressor between the steps is the caller's (e.g. <see cref="CudaOneBit"/>, <see cref="CudaTopK"/>).
/// </summary>
public static class CudaErrorFeedback
{
    /// <summary>EF21's compressor input: <c>difference = gradient - estimate</c>.</summary>
    /// <exception cref="ArgumentException">Lengths differ or a buffer is on another device.</exception>
    public static void Difference(DeviceBuffer<float> gradient, DeviceBuffer<float> estimate, DeviceBuffer<float> difference, CudaStream stream)
    {
        var (count, pg, pe, pd) = Check(stream, (gradient, nameof(gradient)), (estimate, nameof(estimate)), (difference, nameof(difference)));
        Launch("feedback_difference", stream, count, new FeedbackKernelArgs(0, pg, pe, pd, (ulong)count, 0f));
    }

    /// <summary><c>accumulator += values</c> (EF21 and EControl: <c>h += decompressed</c>).</summary>
    /// <exception cref="ArgumentException">Lengths differ or a buffer is on another device.</exception>
    public static void Accumulate(DeviceBuffer<float> accumulator, DeviceBuffer<float> values, CudaStream stream)
    {
        var (count, pacc, pv, _) = Check(stream, (accumulator, nameof(accumulator)), (values, nameof(values)), (values, nameof(values)));
        Launch("feedback_accumulate", stream, count, new FeedbackKernelArgs(pacc, pv, 0, 0, (ulong)count, 0f));
    }

    /// <summary><c>residual = -(decompressed - compensated)</c>: c - d, and -0 where d reproduces c exactly.</summary>
    /// <exception cref="ArgumentException">Lengths differ or a buffer is on another device.</exception>
    public static void StoreResidual(DeviceBuffer<float> compensated, DeviceBuffer<float> decompressed, DeviceBuffer<float> residual, CudaStream stream)
    {
        var (count, pc, pd, pr) = Check(stream, (compensated, nameof(compensated)), (decompressed, nameof(decompressed)), (residual, nameof(residual)));
        Launch("feedback_store_residual", stream, count, new FeedbackKernelArgs(pr, pc, pd, 0, (ulong)count, 0f));
    }

    /// <summary>
    /// EControl's two inputs, left to right: <c>input = eta * error + gradient - estimate</c> (to compress) and
    /// <c>error = error + gradient - estimate</c> (the innovation, which <see cref="StoreResidual"/> then turns into the new error).
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, a buffer is on another device, or <paramref name="eta"/> is not finite.</exception>
    public static void EControlInputs(DeviceBuffer<float> error, DeviceBuffer<float> gradient, DeviceBuffer<float> estimate, DeviceBuffer<float> input,
        float eta, CudaStream stream)
    {
        var (count, perr, pg, ph) = Check(stream, (error, nameof(error)), (gradient, nameof(gradient)), (estimate, nameof(estimate)));
        ulong pin = DeviceArguments.Pointer(input, stream, nameof(input));
        DeviceArguments.SameLength(error, input, nameof(error), nameof(input));
        if (!float.IsFinite(eta))
            throw new ArgumentException($"must be finite, was {eta}", nameof(eta));
        Launch("econtrol_inputs", stream, count, new FeedbackKernelArgs(perr, pg, ph, pin, (ulong)count, eta));
    }

    /// <summary>The receiver's running estimate: <c>aggregate = state + aggregate</c>, then <c>state = aggregate</c>.</summary>
    /// <exception cref="ArgumentException">Lengths differ or a buffer is on another device.</exception>
    public static void AccumulateInto(DeviceBuffer<float> state, DeviceBuffer<float> aggregate, CudaStream stream)
    {
        var (count, ps, pa, _) = Check(stream, (state, nameof(state)), (aggregate, nameof(aggregate)), (aggregate, nameof(aggregate)));
        Launch("feedback_accumulate_into", stream, count, new FeedbackKernelArgs(ps, 0, 0, pa, (ulong)count, 0f));
    }

    // Every buffer exists, lives on the stream's device and has the first one's length; returns the length and the addresses.
    private static (int Count, ulong First, ulong Second, ulong Third) Check(CudaStream stream, (DeviceBuffer<float> Buffer, string Name) first,
        (DeviceBuffer<float> Buffer, string Name) second, (DeviceBuffer<float> Buffer, string Name) third)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ulong p1 = DeviceArguments.Pointer(first.Buffer, stream, first.Name);
        ulong p2 = DeviceArguments.Pointer(second.Buffer, stream, second.Name);
        ulong p3 = DeviceArguments.Pointer(third.Buffer, stream, third.Name);
        DeviceArguments.SameLength(first.Buffer, second.Buffer, first.Name, second.Name);
        DeviceArguments.SameLength(first.Buffer, third.Buffer, first.Name, third.Name);
        return (first.Buffer.Length, p1, p2, p3);
    }

    private static void Launch(string kernel, CudaStream stream, int count, FeedbackKernelArgs arguments)
    {
        if (count == 0)
            return;
        stream.Device.Kernels.Get(CudaKernelSources.ErrorFeedback, "kn::" + kernel)
            .Launch(stream, CudaLaunchPlans.PerElement(count, stream.Device.MultiprocessorCount), arguments);
    }
}
