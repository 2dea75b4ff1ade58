using Kernels.Perf.Core;
using Kernels.Perf.Peers.OnnxRuntime;

namespace Kernels.Perf.Kernels;

/// <summary>The memory-bound kernels (reduce, convert, RMSNorm, add+RMSNorm) against their peers, plus the single-row overhead figure.</summary>
public sealed class KernelsGroup : IBenchmarkGroup
{
    public string Name => "kernels";

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context)
    {
        bool quick = context.Options.Quick;
        TimingPolicy policy = context.Timing;
        var ort = new OrtNormPeer(context, KernelSizes.NormCols, NormCases.Eps);
        return ReduceCases.All(quick).Select(c => c.ToItem(policy, ReduceCases.Contenders))
            .Concat(ConversionCases.All(quick).Select(c => c.ToItem(policy, ConversionCases.Contenders)))
            .Concat(NormCases.All(quick, ort).Select(c => c.ToItem(policy, NormCases.Contenders)))
            .Concat(SingleRowItems.All(policy))
            .ToList();
    }
}
