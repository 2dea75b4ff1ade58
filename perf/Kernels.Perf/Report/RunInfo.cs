using System.Runtime.InteropServices;

namespace Kernels.Perf.Report;

/// <summary>Where and how a run happened: printed at the top of the report and stored in results.json.</summary>
public sealed record RunInfo(
    string StartedUtc,
    double DurationSeconds,
    bool Quick,
    string? Filter,
    string Cpu,
    int Cores,
    int Threads,
    string ActiveTarget,
    string Runtime,
    string OnnxRuntimeVersion,
    string Os,
    string LoadAverageAtStart,
    string LoadAverageAtEnd)
{
    /// <summary>/proc/loadavg's 1-, 5- and 15-minute figures: other work on the machine shows up in every ratio.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    public static RunInfo Describe(DateTime startedUtc, TimeSpan duration, bool quick, string? filter, int threads, string loadAtStart) =>
        new(startedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ"), Math.Round(duration.TotalSeconds, 1), quick, filter, CpuModel(),
            CpuInfo.Cores, threads, CpuInfo.ActiveTarget.ToString(), RuntimeInformation.FrameworkDescription,
            typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString() ?? "?",
            RuntimeInformation.OSDescription, loadAtStart, LoadAverage());

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        string? line = File.Exists(cpuInfo)
            ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
            : null;
        return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
    }
}
