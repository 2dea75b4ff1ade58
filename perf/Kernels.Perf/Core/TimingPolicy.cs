namespace Kernels.Perf.Core;

/// <summary>How long to warm up and measure one contender.</summary>
/// <param name="WarmupSeconds">Untimed calls first: JIT, page faults, thread-pool start, caches.</param>
/// <param name="MinSeconds">Measure at least this long in total (over all rounds)...</param>
/// <param name="MinSamples">...and take at least this many samples...</param>
/// <param name="MaxSamples">...unless this many samples are reached first.</param>
/// <param name="SampleSeconds">Calls are batched so that one sample lasts about this long, far above timer resolution.</param>
/// <param name="Rounds">Contenders of a case take turns this many times (see <see cref="SampleCollector"/>).</param>
public sealed record TimingPolicy(double WarmupSeconds, double MinSeconds, int MinSamples, int MaxSamples, double SampleSeconds, int Rounds)
{
    /// <summary>About 4 minutes for the whole suite on 2 cores.</summary>
    public static TimingPolicy Full { get; } = new(0.05, 1.2, 8, 4000, 0.001, 4);

    /// <summary>About 20 seconds: a smoke test.</summary>
    public static TimingPolicy Quick { get; } = new(0.01, 0.06, 4, 500, 0.001, 2);
}
