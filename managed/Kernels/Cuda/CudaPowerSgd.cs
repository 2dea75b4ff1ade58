namespace Kernels.Cuda;

/// <summary>
/// <see cref="Compression.PowerSgd"/>'s kernels on fp32 device buffers, queued on a stream: the tall-skinny products
/// <c>p = m q</c> and <c>q = m^T p</c> (each sum in ascending inner order with fused multiply-adds) and modified Gram-Schmidt
/// on the columns of p. Results match the CPU's to rounding.
/// </summary>
public static class CudaPowerSgd
{
    /// <summary>The largest rank the kernels take (a warp's lanes).</summary>
    public const int MaxRank = 32;

    /// <summary>Queues <c>p = m q</c> for m (rows, cols) row-major, q (cols, rank), p (rows, rank).</summary>
    /// <param name="m">The gradient matrix, rows * cols elements.</param>
    /// <param name="q">(cols, rank).</param>
    /// <param name="p">(rows, rank), overwritten.</param>
    /// <param name="rows">Rows of m; at least 0.</param>
    /// <param name="rank">In [1, <see cref="MaxRank"/>].</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape or a buffer is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is negative or <paramref name="rank"/> out of range.</exception>
    public static void MultiplyByQ(DeviceBuffer<float> m, DeviceBuffer<float> q, DeviceBuffer<float> p, int rows, int rank, CudaStream stream)
    {
        var (pm, pq, pp, cols) = Check(m, q, p, rows, rank, stream, nameof(q), nameof(p));
        if (q.Length != (long)cols * rank)
            throw new ArgumentException($"has {q.Length} elements but ({cols}, {rank}) needs {(long)cols * rank}", nameof(q));
        if (p.Length != (long)rows * rank)
            throw new ArgumentException($"has {p.Length} elements but ({rows}, {rank}) needs {(long)rows * rank}", nameof(p));
        if (rows == 0)
            return;
        stream.Device.Kernels.Get(CudaKernelSources.PowerSgd, "kn::lowrank_m_q").Launch(stream,
            CudaLaunchPlans.Warps(rows, stream.Device.MultiprocessorCount),
            new LowRankKernelArgs(pm, pq, pp, (ulong)rows, (ulong)cols, (ulong)cols, (uint)rank));
    }

    /// <summary>Queues <c>q = m^T p</c> for m (rows, cols) row-major, p (rows, rank), q (cols, rank).</summary>
    /// <param name="m">The gradient matrix, rows * cols elements.</param>
    /// <param name="p">(rows, rank).</param>
    /// <param name="q">(cols, rank), overwritten.</param>
    /// <param name="rows">Rows of m; at least 1.</param>
    /// <param name="rank">In [1, <see cref="MaxRank"/>].</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with the shape or a buffer is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is below 1 or <paramref name="rank"/> out of range.</exception>
    public static void MultiplyTransposedByP(DeviceBuffer<float> m, DeviceBuffer<float> p, DeviceBuffer<float> q, int rows, int rank, CudaStream stream)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var (pm, pp, pq, cols) = Check(m, p, q, rows, rank, stream, nameof(p), nameof(q));
        if (p.Length != (long)rows * rank)
            throw new ArgumentException($"has {p.Length} elements but ({rows}, {rank}) needs {(long)rows * rank}", nameof(p));
        if (q.Length != (long)cols * rank)
            throw new ArgumentException($"has {q.Length} elements but ({cols}, {rank}) needs {(long)cols * rank}", nameof(q));
        if (cols == 0)
            return;
        stream.Device.Kernels.Get(CudaKernelSources.PowerSgd, "kn::lowrank_mt_p").Launch(stream,
            CudaLaunchPlans.Warps(cols, stream.Device.MultiprocessorCount),
            new LowRankKernelArgs(pm, pp, pq, (ulong)rows, (ulong)cols, (ulong)cols, (uint)rank));
    }

    /// <summary>Queues modified Gram-Schmidt on the columns of p (rows, rank) in place: each column is reduced by the earlier ones,
    /// then scaled by <c>1 / (norm + eps)</c>. One block does the whole matrix (the work is small next to the products).</summary>
    /// <param name="p">(rows, rank), orthonormalised in place.</param>
    /// <param name="rank">In [1, <see cref="MaxRank"/>], dividing p.Length.</param>
    /// <param name="eps">Added to each norm; finite and greater than zero (as the CPU kernel requires).</param>
    /// <param name="stream">The stream; p must be on its device.</param>
    /// <exception cref="ArgumentException">p.Length is not a multiple of rank, eps is not finite and positive, or p is on another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> out of range.</exception>
    public static void Orthonormalize(DeviceBuffer<float> p, int rank, float eps, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, MaxRank);
        ulong pp = DeviceArguments.Pointer(p, stream, nameof(p));
        if (p.Length % rank != 0)
            throw new ArgumentException($"has {p.Length} elements, not a whole number of rows of {rank}", nameof(p));
        if (!float.IsFinite(eps) || eps <= 0)
            throw new ArgumentException($"must be finite and greater than zero, was {eps}", nameof(eps));
        if (p.Length == 0)
            return;
        stream.Device.Kernels.Get(CudaKernelSources.PowerSgd, "kn::orthonormalize_columns")
            .Launch(stream, CudaLaunchShape.Linear(1, 256), new OrthonormalizeKernelArgs(pp, (ulong)(p.Length / rank), (uint)rank, eps));
    }

    // m is (rows, cols) with cols = m.Length / rows; returns the three addresses and cols.
    private static (ulong M, ulong In, ulong Out, int Cols) Check(DeviceBuffer<float> m, DeviceBuffer<float> input, DeviceBuffer<float> output, int rows,
        int rank, CudaStream stream, string inputName, string outputName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, MaxRank);
        ulong pm = DeviceArguments.Pointer(m, stream, nameof(m));
        ulong pi = DeviceArguments.Pointer(input, stream, inputName);
        ulong po = DeviceArguments.Pointer(output, stream, outputName);
        if (rows == 0 ? m.Length != 0 : m.Length % rows != 0)
            throw new ArgumentException($"has {m.Length} elements, not a whole number of {rows} rows", nameof(m));
        return (pm, pi, po, rows == 0 ? 0 : m.Length / rows);
    }
}
