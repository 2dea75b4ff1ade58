using Kernels.Perf.Core;

namespace Kernels.Perf.Compression;

/// <summary>
/// Gradient compression: 1-bit with EF14 and its decompression as % of STREAM, exact and sampled top-k against a full sort,
/// a PowerSGD step against OpenBLAS (about 30 s in a full run), then the convergence experiments (8 setups x 15 methods, about
/// a minute on an idle machine; 2 short setups with --quick).
/// </summary>
public sealed class CompressionGroup : IBenchmarkGroup
{
    public string Name => CompressionFamilies.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context) =>
        OneBitCases.All(context).Append(TopKCase.Item(context)).Append(PowerSgdCase.Item(context))
            .Concat(ConvergenceCases.Items(context)).ToList();
}
