using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>
/// Attention calls last 10-500 ms, so the suite's default policy (1.2 s per contender) would take minutes: a few samples
/// of one call each, two rounds of turns, keep the whole group under ~90 s in a full run.
/// </summary>
internal static class AttentionTiming
{
    private static readonly TimingPolicy Full = new(WarmupSeconds: 0, MinSeconds: 0.25, MinSamples: 4, MaxSamples: 40, SampleSeconds: 0.001, Rounds: 2);

    public static TimingPolicy For(BenchmarkContext context) => context.Options.Quick ? TimingPolicy.Quick : Full;
}
