using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// The CUDA backend. Everywhere: NVRTC cold compile vs warm disk-cache load vs in-memory hit for the kernel set of cuda/
/// (issue target: warm >= 20x faster than cold) and the ptxas resource table for sm_80 and sm_90. With a GPU also each
/// kernel's GB/s against a device copy and FlashAttention forward/backward GFLOP/s against a WMMA peak probe; with two or more, all-reduce busbw of NCCL,
/// of our fused all-reduce + add + RMSNorm and of NCCL + our add + RMSNorm. Without a GPU one line says so and only the
/// NVRTC/ptxas figures run (about 15 s).
/// </summary>
public sealed class CudaGroup : IBenchmarkGroup
{
    public string Name => CudaFamilies.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context)
    {
        // Without a GPU the device case alone reports it (one line); the other GPU cases are not planned.
        bool gpu = CudaDevicePresence.Count(out _) > 0;
        return
        [
            CompileCacheCase.Item(context),
            PtxasTableCase.Item(),
            DeviceBandwidthCases.Item(context),
            .. gpu ? [WmmaPeakProbe.Item()] : Array.Empty<BenchmarkItem>(),
            .. gpu ? FlashAttentionCases.All(context) : [],
            .. gpu ? [MultiGpuCase.Item(context)] : Array.Empty<BenchmarkItem>(),
        ];
    }
}
