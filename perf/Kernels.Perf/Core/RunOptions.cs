namespace Kernels.Perf.Core;

/// <summary>What `kernels-perf run` was asked to do.</summary>
/// <param name="Quick">Fewer sizes and shorter timing: a smoke test of about a minute.</param>
/// <param name="Filter">Only items whose name contains this (case-insensitive); limit groups always run.</param>
/// <param name="OutputRoot">Folder that receives the timestamped run folder and the `latest` link.</param>
public sealed record RunOptions(bool Quick, string? Filter, string OutputRoot)
{
    public bool Selects(BenchmarkItem item) =>
        Filter is null || item.Name.Contains(Filter, StringComparison.OrdinalIgnoreCase);
}
