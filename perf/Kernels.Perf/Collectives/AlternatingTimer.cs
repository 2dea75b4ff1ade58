using System.Diagnostics;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Times two or more contenders of one comparison in alternation — a batch of each per round, several rounds — and
/// keeps each one's fastest batch. On this shared 2-core machine, load from other jobs comes and goes within a
/// second: medians of back-to-back cases (<see cref="CaseTimer"/>) gave ratios swinging 0.3x..5x between neighbouring
/// sizes; alternating puts every contender under the same load, and the fastest batch is the least disturbed one.
/// Every rank calls this with the same contenders; each decision uses the slowest rank's time (<c>maxOverRanks</c>).
/// </summary>
internal static class AlternatingTimer
{
    private const int Rounds = 7;

    public static (double SecondsPerCall, long Calls)[] Time(IReadOnlyList<Action> contenders, double seconds, Func<double, double> maxOverRanks)
    {
        var batch = new long[contenders.Count];
        for (int c = 0; c < contenders.Count; c++)
        {
            // Warm-up (JIT tiers, page faults) in doubling rounds until one lasts half a batch; its time is the estimate.
            for (long calls = 1; ; calls *= 2)
            {
                double elapsed = maxOverRanks(Run(contenders[c], calls));
                if (elapsed >= seconds / Rounds / 2 || calls >= 1 << 16)
                {
                    batch[c] = Math.Clamp((long)(seconds / Rounds / Math.Max(elapsed / calls, 1e-7)), 1, 100_000);
                    break;
                }
            }
        }
        var best = Enumerable.Repeat(double.MaxValue, contenders.Count).ToArray();
        for (int round = 0; round < Rounds; round++)
        {
            for (int c = 0; c < contenders.Count; c++)
            {
                best[c] = Math.Min(best[c], maxOverRanks(Run(contenders[c], batch[c]) / batch[c]));
            }
        }
        return best.Select((perCall, c) => (perCall, batch[c] * Rounds)).ToArray();
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
