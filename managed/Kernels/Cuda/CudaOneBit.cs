using Kernels.Compression;

namespace Kernels.Cuda;

/// <summary>
/// <see cref="OneBit"/>'s kernels on device buffers, queued on a stream, with the CPU kernels' exact bits (cuda/onebit.cu
/// keeps the CPU's 16 partial sums, their combination order and its NaN sign rules): element i is bit i % 32 of word i / 32,
/// set when negative (a NaN with its sign bit included); one scale per chunk over the chunk's finite elements.
/// </summary>
public static class CudaOneBit
{
    /// <summary>Sign words for <paramref name="count"/> elements: ceil(count / 32).</summary>
    public static int SignWords(int count) => (int)(((long)count + 31) / 32);

    /// <summary>Scales for <paramref name="count"/> elements in chunks of <paramref name="chunkSize"/>: ceil(count / chunkSize).</summary>
    public static int Chunks(int count, int chunkSize) => (int)(((long)count + chunkSize - 1) / chunkSize);

    /// <summary>Queues the 1-bit compression of <paramref name="gradient"/> into <paramref name="signs"/> and <paramref name="scales"/>.</summary>
    /// <param name="gradient">The values; float, Half or BFloat16 (widened to fp32 exactly).</param>
    /// <param name="signs">Sign words, length <see cref="SignWords"/>.</param>
    /// <param name="scales">One scale per chunk, length <see cref="Chunks"/>.</param>
    /// <param name="chunkSize">Elements per scale; at least 1.</param>
    /// <param name="scale">Mean |x| or RMS.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the gradient, or a buffer is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is below 1 or <paramref name="scale"/> is undefined.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Compress<T>(DeviceBuffer<T> gradient, DeviceBuffer<uint> signs, DeviceBuffer<float> scales, int chunkSize, OneBitScale scale,
        CudaStream stream) where T : unmanaged
        => Launch(gradient, null, signs, scales, chunkSize, scale, stream);

    /// <summary>
    /// Queues the fused EF14 step: <c>c = gradient + residual</c> is compressed and <c>residual = -(decompress(c) - c)</c>, as
    /// <see cref="OneBit.CompressWithResidual{T}"/> does on the CPU.
    /// </summary>
    /// <param name="gradient">The values; float, Half or BFloat16.</param>
    /// <param name="residual">The fp32 error-feedback residual, same length; read, then overwritten with the new residual.</param>
    /// <param name="signs">Sign words, length <see cref="SignWords"/>.</param>
    /// <param name="scales">One scale per chunk, length <see cref="Chunks"/>.</param>
    /// <param name="chunkSize">Elements per scale; at least 1.</param>
    /// <param name="scale">Mean |c| or RMS.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the gradient, or a buffer is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is below 1 or <paramref name="scale"/> is undefined.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void CompressWithResidual<T>(DeviceBuffer<T> gradient, DeviceBuffer<float> residual, DeviceBuffer<uint> signs,
        DeviceBuffer<float> scales, int chunkSize, OneBitScale scale, CudaStream stream) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(residual);
        Launch(gradient, residual, signs, scales, chunkSize, scale, stream);
    }

    /// <summary>Queues <c>destination[i] = sign bit of i ? -scale : +scale</c> (of i's chunk), rounded to <typeparamref name="T"/>.</summary>
    /// <param name="signs">Sign words, length <see cref="SignWords"/> of destination.Length.</param>
    /// <param name="scales">Scales, length <see cref="Chunks"/>.</param>
    /// <param name="destination">The decompressed values.</param>
    /// <param name="chunkSize">Elements per scale; at least 1.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the destination, or a buffer is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is below 1.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Decompress<T>(DeviceBuffer<uint> signs, DeviceBuffer<float> scales, DeviceBuffer<T> destination, int chunkSize, CudaStream stream)
        where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ulong ps = DeviceArguments.Pointer(signs, stream, nameof(signs));
        ulong pc = DeviceArguments.Pointer(scales, stream, nameof(scales));
        ulong pd = DeviceArguments.Pointer(destination, stream, nameof(destination));
        RequireLengths(destination.Length, signs, scales, chunkSize);
        if (destination.Length == 0)
            return;
        stream.Device.Kernels.Get(CudaKernelSources.OneBit, $"kn::onebit_decompress<{storage}>")
            .Launch(stream, CudaLaunchPlans.PerElement(destination.Length, stream.Device.MultiprocessorCount),
                new OneBitDecompressKernelArgs(ps, pc, pd, (ulong)destination.Length, (ulong)chunkSize));
    }

    // residual null: plain compress; otherwise EF14, the kernel reading e and writing e_new in the same buffer.
    private static void Launch<T>(DeviceBuffer<T> gradient, DeviceBuffer<float>? residual, DeviceBuffer<uint> signs,
        DeviceBuffer<float> scales, int chunkSize, OneBitScale scale, CudaStream stream) where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        int kind = scale switch  // kScaleMeanAbs / kScaleRms of cuda/onebit.cu
        {
            OneBitScale.MeanAbs => 0,
            OneBitScale.Rms => 1,
            _ => throw new ArgumentOutOfRangeException(nameof(scale), scale, "Undefined OneBitScale value."),
        };
        ulong pg = DeviceArguments.Pointer(gradient, stream, nameof(gradient));
        ulong pe = residual == null ? 0 : DeviceArguments.Pointer(residual, stream, nameof(residual));
        ulong ps = DeviceArguments.Pointer(signs, stream, nameof(signs));
        ulong pc = DeviceArguments.Pointer(scales, stream, nameof(scales));
        if (residual != null)
            DeviceArguments.SameLength(gradient, residual, nameof(gradient), nameof(residual));
        RequireLengths(gradient.Length, signs, scales, chunkSize);
        if (gradient.Length == 0)
            return;

        var arguments = new OneBitKernelArgs(pg, pe, ps, pc, pe, (ulong)gradient.Length, (ulong)chunkSize);
        string flag = residual != null ? "true" : "false";
        CudaKernelCache kernels = stream.Device.Kernels;
        kernels.Get(CudaKernelSources.OneBit, $"kn::onebit_chunk_scales<{storage}, {kind}, {flag}>")
            .Launch(stream, CudaLaunchPlans.Warps((Chunks(gradient.Length, chunkSize) + 1) / 2, stream.Device.MultiprocessorCount), arguments);  // half a warp per chunk
        kernels.Get(CudaKernelSources.OneBit, $"kn::onebit_signs<{storage}, {flag}>")
            .Launch(stream, CudaLaunchPlans.Warps(SignWords(gradient.Length), stream.Device.MultiprocessorCount), arguments);
    }

    private static void RequireLengths(int count, DeviceBuffer<uint> signs, DeviceBuffer<float> scales, int chunkSize)
    {
        if (signs.Length != SignWords(count))
            throw new ArgumentException($"has {signs.Length} words but {count} elements need {SignWords(count)}", nameof(signs));
        if (scales.Length != Chunks(count, chunkSize))
            throw new ArgumentException($"has {scales.Length} scales but {count} elements in chunks of {chunkSize} need {Chunks(count, chunkSize)}", nameof(scales));
    }
}
