namespace Kernels.Cuda;

/// <summary>
/// <see cref="Attention.AttentionMerge"/> on device buffers, queued on a stream: the exact (o, lse) combination of two
/// attention results over disjoint keys, with the CPU's rules for NaN, -Inf and zero weights; the exponentials are CUDA's
/// (within 2 ulp), so results match the CPU's to rounding.
/// </summary>
public static class CudaAttentionMerge
{
    /// <summary>Queues <c>lse = log(exp(lseA) + exp(lseB))</c> and <c>o = exp(lseA - lse) oA + exp(lseB - lse) oB</c> per row.</summary>
    /// <param name="oA">First output, (rows, valueHeadDim).</param>
    /// <param name="lseA">First log-sum-exp, (rows).</param>
    /// <param name="oB">Second output, same shape.</param>
    /// <param name="lseB">Second log-sum-exp, same shape.</param>
    /// <param name="o">Merged output; may be <paramref name="oA"/> or <paramref name="oB"/> itself.</param>
    /// <param name="lse">Merged log-sum-exp; may be <paramref name="lseA"/> or <paramref name="lseB"/> itself.</param>
    /// <param name="valueHeadDim">Row width, at least 1.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">Lengths disagree with the shape or a buffer is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="valueHeadDim"/> is below 1.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Merge<T>(DeviceBuffer<T> oA, DeviceBuffer<float> lseA, DeviceBuffer<T> oB, DeviceBuffer<float> lseB, DeviceBuffer<T> o,
        DeviceBuffer<float> lse, int valueHeadDim, CudaStream stream) where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(valueHeadDim, 1);
        ulong poa = DeviceArguments.Pointer(oA, stream, nameof(oA)), pla = DeviceArguments.Pointer(lseA, stream, nameof(lseA));
        ulong pob = DeviceArguments.Pointer(oB, stream, nameof(oB)), plb = DeviceArguments.Pointer(lseB, stream, nameof(lseB));
        ulong po = DeviceArguments.Pointer(o, stream, nameof(o)), pl = DeviceArguments.Pointer(lse, stream, nameof(lse));
        DeviceArguments.SameLength(lseA, lseB, nameof(lseA), nameof(lseB));
        DeviceArguments.SameLength(lseA, lse, nameof(lseA), nameof(lse));
        long elements = (long)lseA.Length * valueHeadDim;
        foreach ((DeviceBuffer<T> buffer, string name) in new[] { (oA, nameof(oA)), (oB, nameof(oB)), (o, nameof(o)) })
            if (buffer.Length != elements)
                throw new ArgumentException($"{name} has {buffer.Length} elements but {lseA.Length} rows of {valueHeadDim} need {elements}", name);
        if (lseA.Length == 0)
            return;
        stream.Device.Kernels.Get(CudaKernelSources.AttentionMerge, $"kn::attention_merge<{storage}>")
            .Launch(stream, CudaLaunchPlans.Warps(lseA.Length, stream.Device.MultiprocessorCount),
                new MergeKernelArgs(poa, pla, pob, plb, po, pl, (ulong)lseA.Length, (ulong)valueHeadDim));
    }
}
