namespace Kernels.Cuda;

/// <summary>The two RMSNorm kernel layouts of cuda/rms_norm.cu.</summary>
internal enum NormLayout
{
    /// <summary>A warp per row, 8 rows per 256-thread block: no block barrier, for rows up to <see cref="CudaLaunchPlans.WarpPerRowMaxCols"/>.</summary>
    WarpPerRow,
    /// <summary>A block per row, warp sums meeting in dynamic shared memory: for wide rows.</summary>
    BlockPerRow,
}

/// <summary>
/// Launch shapes of the kernels of cuda/, from the problem size and the device's multiprocessor count. Pure, so the
/// emulator tests run the kernels with exactly the shapes a GPU gets (scaled by the multiprocessor count).
/// </summary>
internal static class CudaLaunchPlans
{
    /// <summary>Threads per block of the element-wise kernels and the warp-per-row layout (their __launch_bounds__).</summary>
    internal const uint ElementwiseThreads = 256;

    /// <summary>
    /// Widest row the warp layout takes: 32 lanes x 8 elements x 4 iterations. Wider rows give a warp too much serial
    /// work per row, so a block shares the row instead.
    /// </summary>
    internal const long WarpPerRowMaxCols = 1024;

    /// <summary>Resident blocks per multiprocessor the grid-stride kernels are sized for; more only adds scheduling.</summary>
    private const uint BlocksPerMultiprocessor = 8;

    /// <summary>Grid-stride launch over <paramref name="count"/> elements, 8 per thread per step.</summary>
    internal static CudaLaunchShape Elementwise(long count, int multiprocessors)
    {
        long groups = Math.Max(1, (count + 7) / 8);
        long blocks = Math.Min((groups + ElementwiseThreads - 1) / ElementwiseThreads, (long)multiprocessors * BlocksPerMultiprocessor);
        return CudaLaunchShape.Linear((uint)Math.Max(1, blocks), ElementwiseThreads);
    }

    /// <summary>Grid-stride launch over <paramref name="count"/> elements, one per thread per step (kernels whose elements need
    /// per-element indexing, e.g. a chunk or sign-word lookup, rather than 128-bit groups).</summary>
    internal static CudaLaunchShape PerElement(long count, int multiprocessors) => Elementwise(count * 8, multiprocessors);

    /// <summary>Grid-stride launch of whole warps over <paramref name="items"/> warp-sized work items (rows, tiles, sign words,
    /// pairs of 1-bit chunks), 8 warps per block.</summary>
    internal static CudaLaunchShape Warps(long items, int multiprocessors)
    {
        const long warpsPerBlock = ElementwiseThreads / 32;
        long blocks = Math.Min(Math.Max(1, (items + warpsPerBlock - 1) / warpsPerBlock), (long)multiprocessors * BlocksPerMultiprocessor);
        return CudaLaunchShape.Linear((uint)blocks, ElementwiseThreads);
    }

    /// <summary>Layout and shape for <paramref name="rows"/> rows of <paramref name="cols"/> elements.</summary>
    internal static (NormLayout Layout, CudaLaunchShape Shape) Norm(long rows, long cols, int multiprocessors)
    {
        long gridLimit = (long)multiprocessors * BlocksPerMultiprocessor;
        if (cols <= WarpPerRowMaxCols)
        {
            long rowsPerBlock = ElementwiseThreads / 32;
            long blocks = Math.Min(Math.Max(1, (rows + rowsPerBlock - 1) / rowsPerBlock), gridLimit);
            return (NormLayout.WarpPerRow, CudaLaunchShape.Linear((uint)blocks, ElementwiseThreads));
        }
        // One 8-element group per thread per step, whole warps, at most 1024 threads (the kernel's __launch_bounds__).
        long threads = Math.Min(1024, ((cols + 7) / 8 + 31) / 32 * 32);
        long grid = Math.Min(Math.Max(1, rows), gridLimit);
        return (NormLayout.BlockPerRow, CudaLaunchShape.Linear((uint)grid, (uint)threads, (uint)(threads / 32 * sizeof(float))));
    }
}
