using Kernels.Compression;

namespace Kernels.Cuda;

/// <summary>
/// Exact <see cref="TopK"/> selection on device buffers, queued on a stream, with the CPU kernel's selection and order: the k
/// largest magnitudes (|x| as bits, every NaN above +Inf), ties at the k-th magnitude to the lower indices, output sorted by
/// index. cuda/topk.cu: radix select of the k-th key in three digit passes, then a stable compaction in tiles.
/// </summary>
public static class CudaTopK
{
    private const int StateWords = 2 + 2048;  // kTopKStateWords
    private const int TileElements = 1024;    // kTopKTile

    /// <summary>Words of the workspace <see cref="Select"/> needs for <paramref name="count"/> elements.</summary>
    public static int WorkspaceWords(int count) => StateWords + 2 * (int)(((long)count + TileElements - 1) / TileElements);

    /// <summary>Queues the selection of the <c>indices.Length</c> largest-magnitude elements of <paramref name="x"/>.</summary>
    /// <param name="x">The values.</param>
    /// <param name="indices">The selected indices in increasing order; its length is k, in [1, x.Length].</param>
    /// <param name="values">x at those indices; same length as <paramref name="indices"/>.</param>
    /// <param name="workspace">Scratch of at least <see cref="WorkspaceWords"/> words; overwritten.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">k is outside [1, x.Length], the lengths disagree, the workspace is too small, or a
    /// buffer is on another device.</exception>
    public static void Select(DeviceBuffer<float> x, DeviceBuffer<uint> indices, DeviceBuffer<float> values, DeviceBuffer<uint> workspace,
        CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ulong px = DeviceArguments.Pointer(x, stream, nameof(x));
        ulong pi = DeviceArguments.Pointer(indices, stream, nameof(indices));
        ulong pv = DeviceArguments.Pointer(values, stream, nameof(values));
        ulong pw = DeviceArguments.Pointer(workspace, stream, nameof(workspace));
        if (indices.Length < 1 || indices.Length > x.Length)
            throw new ArgumentException($"has {indices.Length} elements; k must be in [1, x.Length = {x.Length}]", nameof(indices));
        DeviceArguments.SameLength(indices, values, nameof(indices), nameof(values));
        if (workspace.Length < WorkspaceWords(x.Length))
            throw new ArgumentException($"has {workspace.Length} words but {x.Length} elements need {WorkspaceWords(x.Length)}", nameof(workspace));

        var arguments = new TopKKernelArgs(px, pi, pv, pw, pw + StateWords * sizeof(uint), (ulong)x.Length, (ulong)indices.Length, 0);
        int multiprocessors = stream.Device.MultiprocessorCount;
        CudaLaunchShape elements = CudaLaunchPlans.PerElement(x.Length, multiprocessors);
        CudaLaunchShape tiles = CudaLaunchPlans.Warps((x.Length + TileElements - 1) / TileElements, multiprocessors);
        Kernel(stream, "topk_clear").Launch(stream, CudaLaunchShape.Linear(1, 256), arguments);
        for (uint digit = 0; digit < 3; digit++)
        {
            Kernel(stream, "topk_histogram").Launch(stream, elements, arguments with { Digit = digit });
            Kernel(stream, "topk_choose_digit").Launch(stream, CudaLaunchShape.Linear(1, 32), arguments with { Digit = digit });
        }
        Kernel(stream, "topk_count_tiles").Launch(stream, tiles, arguments);
        Kernel(stream, "topk_scan_tiles").Launch(stream, CudaLaunchShape.Linear(1, 1024), arguments);
        Kernel(stream, "topk_emit_tiles").Launch(stream, tiles, arguments);
    }

    private static CudaKernel Kernel(CudaStream stream, string name) => stream.Device.Kernels.Get(CudaKernelSources.TopK, "kn::" + name);
}
