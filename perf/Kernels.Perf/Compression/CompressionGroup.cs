using Kernels.Perf.Core;

namespace Kernels.Perf.Compression;

/// <summary>
/// Gradient compression: 1-bit with EF14 and its decompression as % of STREAM, exact and sampled top-k against a full sort,
/// top-k's two exchanges (bytes and time per step at 4 ranks), a PowerSGD step against OpenBLAS (about 30 s in a full run), then
/// the convergence experiments (8 setups x 15 methods, each trained until dense converged: about 12 minutes on a loaded 2-core
/// machine; 2 short setups with --quick).
/// </summary>
public sealed class CompressionGroup : IBenchmarkGroup
{
    public string Name => CompressionFamilies.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context) =>
        OneBitCases.All(context).Append(TopKCase.Item(context)).Append(TopKExchangeCase.Item(context)).Append(PowerSgdCase.Item(context))
            .Concat(ConvergenceCases.Items(context)).ToList();
}
