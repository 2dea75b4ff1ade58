namespace Kernels.Perf.Core;

/// <summary>Times calls: warm-up, batches sized to the call's cost, median of per-call sample times.</summary>
public static class MedianTimer
{
    /// <summary>One call on its own, all rounds back to back.</summary>
    public static Timing Measure(Action call, TimingPolicy policy) => MeasureInTurns([call], policy)[0];

    /// <summary>Several calls taking turns round by round (see <see cref="SampleCollector"/>); results in input order.</summary>
    public static IReadOnlyList<Timing> MeasureInTurns(IReadOnlyList<Action> calls, TimingPolicy policy)
    {
        var collectors = calls.Select(call => new SampleCollector(call, policy)).ToList();
        foreach (SampleCollector collector in collectors)
        {
            collector.WarmUp();
        }
        for (int round = 0; round < policy.Rounds; round++)
        {
            foreach (SampleCollector collector in collectors)
            {
                collector.CollectRound();
            }
        }
        return collectors.Select(c => c.Result()).ToList();
    }
}
