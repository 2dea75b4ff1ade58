using Kernels.Perf.Attention;
using Kernels.Perf.Collectives;
using Kernels.Perf.Compression;
using Kernels.Perf.Cuda;
using Kernels.Perf.Kernels;
using Kernels.Perf.Machine;

namespace Kernels.Perf.Core;

/// <summary>The registry of groups, in run order. A new area adds its group here.</summary>
public static class BenchmarkGroups
{
    public static IReadOnlyList<IBenchmarkGroup> All { get; } =
    [
        new MachineGroup(),
        new KernelsGroup(),
        new CompressionGroup(),
        new CollectivesGroup(),
        new AttentionGroup(),
        new CudaGroup(),
        // Later groups go here, before the closing STREAM pass.
        new MachineGroup(endOfRun: true),
    ];
}
