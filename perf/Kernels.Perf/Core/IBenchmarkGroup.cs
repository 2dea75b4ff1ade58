namespace Kernels.Perf.Core;

/// <summary>
/// One area of the suite (machine limits, kernels, later collectives, compression, attention).
/// A group plans its work as items first, so the runner can count them and show progress and an ETA
/// across every group before anything is timed.
/// </summary>
public interface IBenchmarkGroup
{
    /// <summary>Short lowercase name, the first part of every item name (used by --filter).</summary>
    string Name { get; }

    /// <summary>
    /// True for groups whose figures are the limits other groups are reported against (STREAM, FMA peak):
    /// they run whatever the filter says, since no ratio can be computed without them.
    /// </summary>
    bool MeasuresLimits { get; }

    /// <summary>The items this group would run with these options, in run order.</summary>
    IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context);
}
