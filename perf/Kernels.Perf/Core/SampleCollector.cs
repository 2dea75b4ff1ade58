using System.Diagnostics;

namespace Kernels.Perf.Core;

/// <summary>
/// Collects per-call time samples for one call, possibly over several rounds, so contenders of a case
/// can take turns: time-varying load on a shared machine then lands on all of them alike instead of on
/// whichever happened to run at a bad moment.
/// </summary>
public sealed class SampleCollector(Action call, TimingPolicy policy)
{
    private readonly List<double> _samples = [];
    private long _batch = 1;
    private long _calls;

    /// <summary>Untimed calls (JIT, page faults, thread-pool start, caches); sizes the batches to the call's cost.</summary>
    public void WarmUp()
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(policy.WarmupSeconds * Stopwatch.Frequency);
        double last;
        int runs = 0;
        do
        {
            long start = Stopwatch.GetTimestamp();
            call();
            last = Stopwatch.GetElapsedTime(start).TotalSeconds;
            runs++;
        }
        while (runs < 2 || Stopwatch.GetTimestamp() < deadline);
        _batch = Math.Max(1, (long)(policy.SampleSeconds / Math.Max(last, 1e-9)));
    }

    /// <summary>One round: batches of calls until this round's share of the policy's time and samples is reached.</summary>
    public void CollectRound()
    {
        double roundSeconds = policy.MinSeconds / policy.Rounds;
        int roundMinSamples = (policy.MinSamples + policy.Rounds - 1) / policy.Rounds;
        int roundMaxSamples = Math.Max(1, policy.MaxSamples / policy.Rounds);
        double total = 0;
        for (int taken = 0; taken < roundMaxSamples && (total < roundSeconds || taken < roundMinSamples); taken++)
        {
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < _batch; i++)
            {
                call();
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            _samples.Add(seconds / _batch);
            _calls += _batch;
            total += seconds;
        }
    }

    public Timing Result()
    {
        double[] sorted = [.. _samples.Order()];
        return new Timing(sorted[sorted.Length / 2], sorted.Length, _calls);
    }
}
