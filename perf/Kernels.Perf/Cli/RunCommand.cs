using System.Diagnostics;
using Kernels.Perf.Core;
using Kernels.Perf.Report;

namespace Kernels.Perf.Cli;

/// <summary>`kernels-perf run`: plan every group's items, time them with progress lines, write the report, print the summary.</summary>
public static class RunCommand
{
    public static int Execute(RunOptions options, TextWriter log)
    {
        DateTime startedUtc = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        string loadAtStart = RunInfo.LoadAverage();
        using var context = new BenchmarkContext(options);

        List<BenchmarkItem> items = BenchmarkGroups.All
            .SelectMany(group => group.Plan(context).Where(item => group.MeasuresLimits || options.Selects(item)))
            .ToList();
        log.WriteLine($"kernels-perf: {items.Count} items, {context.Threads} threads, target {CpuInfo.ActiveTarget}" +
            $"{(options.Quick ? ", quick" : "")}{(options.Filter is null ? "" : $", filter \"{options.Filter}\"")}");

        var progress = new ProgressLog(items.Count, items.Sum(i => i.EstimatedSeconds), log);
        var measurements = new List<Measurement>();
        var failures = new List<string>();
        foreach (BenchmarkItem item in items)
        {
            try
            {
                IReadOnlyList<Measurement> results = item.Run(context);
                measurements.AddRange(results);
                progress.Finished(item, results);
            }
            catch (Exception e)
            {
                // One broken kernel or peer must not cost the rest of a 5-minute run.
                failures.Add($"{item.Name}: {e.GetType().Name}: {e.Message}");
                log.WriteLine($"FAILED {item.Name}: {e.GetType().Name}: {e.Message}");
                progress.Finished(item, []);
            }
        }

        string folder = RunFolder.Create(options.OutputRoot, startedUtc);
        RunInfo run = RunInfo.Describe(startedUtc, clock.Elapsed, options.Quick, options.Filter, context.Threads, loadAtStart);
        IReadOnlyList<Headline> headlines = ReportWriter.Write(folder, run, measurements, failures, log);
        RunFolder.PointLatestAt(options.OutputRoot, folder);

        log.WriteLine();
        log.WriteLine(MarkdownReport.SummaryTable(headlines));
        log.WriteLine($"report: {Path.Combine(folder, "report.md")} ({clock.Elapsed.TotalSeconds:0} s)");
        return failures.Count == 0 ? 0 : 1;
    }
}
