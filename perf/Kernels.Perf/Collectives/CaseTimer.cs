using System.Diagnostics;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Times one collective at one size alone, as nccl-tests times a case, so the figures
/// compare: one untimed call (JIT, page faults); warm-up rounds of 1, 2, 4, ... calls until a round of at least 4
/// calls lasts a tenth of the budget (or the rounds used half of it), the fastest round's per-call time as the
/// estimate; then up to five batches filling the budget (stopping at 1.5x it if the machine slowed down), the median
/// batch's per-call time. Every rank must make the same number of calls, so each decision uses the slowest rank's
/// time (<c>maxOverRanks</c>, a collective itself, outside the timed region). This is not
/// <see cref="Core.MedianTimer"/>: ranks in other processes cannot share its per-process decisions.
/// </summary>
internal static class CaseTimer
{
    public static (double SecondsPerCall, long Calls) Time(Action call, double seconds, Func<double, double> maxOverRanks)
    {
        call();
        double estimate = double.MaxValue, spent = 0;
        for (long calls = 1; ; calls *= 2)
        {
            double round = maxOverRanks(Run(call, calls));
            estimate = Math.Min(estimate, round / calls);
            spent += round;
            if ((calls >= 4 && round >= 0.1 * seconds) || spent >= 0.5 * seconds)
            {
                break;
            }
        }

        long total = Math.Clamp((long)(seconds / Math.Max(estimate, 1e-9)), 1, 1_000_000);
        long batches = Math.Min(5, total);
        long perBatch = total / batches;
        var samples = new List<double>();
        double timed = 0;
        for (int b = 0; b < batches && timed < 1.5 * seconds; b++)
        {
            samples.Add(maxOverRanks(Run(call, perBatch) / perBatch));
            timed += samples[^1] * perBatch;
        }
        long timedCalls = samples.Count * perBatch;
        samples.Sort();
        return (samples[samples.Count / 2], timedCalls);
    }

    private static double Run(Action call, long calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < calls; i++)
        {
            call();
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
