using Kernels.Perf.Core;

namespace Kernels.Perf.Compression;

/// <summary>
/// Gradient compression: 1-bit with EF14 and its decompression as % of STREAM, exact and sampled top-k against a full sort,
/// and a PowerSGD step against OpenBLAS. About 30 s in a full run; a few seconds with --quick (smaller top-k and PowerSGD).
/// </summary>
public sealed class CompressionGroup : IBenchmarkGroup
{
    public string Name => CompressionFamilies.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context) =>
        OneBitCases.All(context).Append(TopKCase.Item(context)).Append(PowerSgdCase.Item(context)).ToList();
}
