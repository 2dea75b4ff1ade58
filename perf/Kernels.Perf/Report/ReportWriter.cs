using Kernels.Perf.Core;

namespace Kernels.Perf.Report;

/// <summary>Writes report.md, results.json and the charts for one run, and returns the headline figures.</summary>
public static class ReportWriter
{
    public static IReadOnlyList<Headline> Write(string folder, RunInfo run, IReadOnlyList<Measurement> measurements,
        IReadOnlyList<string> failures, TextWriter log)
    {
        var results = new ResultSet(measurements);
        IReadOnlyList<Headline> headlines = HeadlineFigures.From(results);
        IReadOnlyList<string> charts;
        try
        {
            charts = Charts.Write(folder, results);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            // The report is still worth having when the plotting library's native part cannot load.
            log.WriteLine($"charts skipped: {e.GetBaseException().Message}");
            charts = [];
        }
        File.WriteAllText(Path.Combine(folder, "report.md"), MarkdownReport.Render(run, results, headlines, charts, failures));
        File.WriteAllText(Path.Combine(folder, "results.json"), ResultsJson.Render(run, measurements, failures));
        return headlines;
    }
}
