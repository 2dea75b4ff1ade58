using System.Diagnostics;

namespace Kernels.Perf.Core;

/// <summary>
/// One plain line per finished item with a counter, elapsed time and ETA. Plain lines (no cursor
/// movement) so the log reads the same on a terminal and in CI.
/// </summary>
public sealed class ProgressLog(int totalItems, double totalEstimatedSeconds, TextWriter output)
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private int _done;
    private double _estimatedDone;

    public void Finished(BenchmarkItem item, IReadOnlyList<Measurement> measurements)
    {
        _done++;
        _estimatedDone += item.EstimatedSeconds;
        double elapsed = _elapsed.Elapsed.TotalSeconds;
        // Scale the remaining estimate by how far off the estimates have been so far.
        double pace = _estimatedDone > 0 ? elapsed / _estimatedDone : 1;
        double eta = (totalEstimatedSeconds - _estimatedDone) * pace;
        output.WriteLine($"[{_done,3}/{totalItems}] {Clock(elapsed)} ETA {Clock(eta)}  {item.Name,-40} {Summary(measurements)}");
        output.Flush();
    }

    private static string Summary(IReadOnlyList<Measurement> measurements) =>
        string.Join("  ", measurements.Select(m => m.Ran ? $"{m.Implementation} {m.Value:0.##} {m.Unit}" : $"{m.Implementation} n/a"));

    private static string Clock(double seconds) =>
        TimeSpan.FromSeconds(Math.Max(0, seconds)).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"m\:ss");
}
