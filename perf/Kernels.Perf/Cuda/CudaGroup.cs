using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// The CUDA backend. Everywhere: NVRTC cold compile vs warm disk-cache load vs in-memory hit for the kernel set of cuda/
/// (issue target: warm >= 20x faster than cold) and the ptxas resource table for sm_80 and sm_90. With a GPU also each
/// kernel's GB/s against a device copy; without one, one line says so. About 15 s in a full run.
/// </summary>
public sealed class CudaGroup : IBenchmarkGroup
{
    public string Name => CudaFamilies.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context) =>
    [
        CompileCacheCase.Item(context),
        PtxasTableCase.Item(),
        DeviceBandwidthCases.Item(context),
    ];
}
