using System.Globalization;

namespace Kernels.Perf.Collectives;

/// <summary>What every contender sweeps: sizes (bytes of the whole vector), collectives, and timed seconds per case.</summary>
internal sealed record SweepPlan(IReadOnlyList<long> Sizes, IReadOnlyList<string> Collectives, double Seconds)
{
    public const int Ranks = 2;

    /// <summary>
    /// 8 B .. 128 MiB in x4 steps, then 256 MiB, plus 1 MiB and 64 MiB where the issue states its targets; with --quick
    /// three sizes.
    /// </summary>
    public static IReadOnlyList<long> SizesFor(bool quick)
    {
        if (quick)
        {
            return [8, 32 << 10, 1 << 20];
        }
        var sizes = new List<long> { 1 << 20, 64L << 20, MaxBytes };
        for (long bytes = 8; bytes < MaxBytes; bytes *= 4)
        {
            sizes.Add(bytes);
        }
        return [.. sizes.Order()];
    }

    public const long MaxBytes = 256L << 20;

    /// <summary>Timed seconds per case: a fixed budget as nccl-tests has, small enough for a group of about a minute.</summary>
    public static double SecondsFor(bool quick) => quick ? 0.02 : 0.05;

    /// <summary>The options of <c>kernels-perf collective-rank</c>.</summary>
    public IEnumerable<string> Arguments() =>
    [
        "--sizes", string.Join(",", Sizes), "--seconds", Seconds.ToString("0.###", CultureInfo.InvariantCulture),
    ];

    /// <summary>Generous: a healthy child sweep takes well under a minute; this only stops a hung job.</summary>
    public TimeSpan ChildDeadline => TimeSpan.FromSeconds(120 + 20 * Sizes.Count * Collectives.Count);

    public long LargestBytes => Sizes.Count == 0 ? 0 : Sizes.Max();
}
