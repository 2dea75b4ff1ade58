using System.Diagnostics;

namespace Kernels.Attention;

/// <summary>
/// Where a ring attention call spent its time on this rank: the attention arithmetic of each step against the whole step
/// (arithmetic plus waiting for the next block). Pass one to <see cref="RingAttention"/> to profile overlap; it accumulates
/// over calls.
/// </summary>
public sealed class RingTimings
{
    /// <summary>Ring steps recorded (world size per forward call).</summary>
    public int Steps { get; private set; }

    /// <summary>Time spent computing attention (and merging partials) on the current block.</summary>
    public TimeSpan Compute { get; private set; }

    /// <summary>Time of whole steps: compute plus any wait for the block exchange.</summary>
    public TimeSpan Total { get; private set; }

    /// <summary>Compute / Total: 1 when communication is entirely hidden behind the arithmetic.</summary>
    public double OverlapEfficiency => Total > TimeSpan.Zero ? Compute / Total : 0;

    /// <summary>Clears the counters.</summary>
    public void Reset()
    {
        Steps = 0;
        Compute = TimeSpan.Zero;
        Total = TimeSpan.Zero;
    }

    internal void Add(long computeTicks, long totalTicks)
    {
        Steps++;
        Compute += Stopwatch.GetElapsedTime(0, computeTicks);
        Total += Stopwatch.GetElapsedTime(0, totalTicks);
    }
}
