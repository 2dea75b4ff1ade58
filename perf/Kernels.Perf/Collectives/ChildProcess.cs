using System.Diagnostics;
using System.Text;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Runs one child process of a sweep and keeps its JSON case lines (<see cref="PeerCase"/>); stderr is kept for the
/// failure message. A child that outlives its deadline is killed with its children (mpirun's ranks).
/// </summary>
internal static class ChildProcess
{
    public static (IReadOnlyList<PeerCase> Cases, string? Problem) Run(string fileName, IEnumerable<string> arguments, TimeSpan deadline,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var cases = new List<PeerCase>();
        var errors = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && PeerCase.TryParse(e.Data) is { } parsed)
            {
                lock (cases) cases.Add(parsed);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors) errors.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(deadline))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (cases, $"{Path.GetFileName(fileName)} did not finish within {deadline.TotalSeconds:0} s and was killed");
        }
        process.WaitForExit();  // drains the output events
        return process.ExitCode == 0
            ? (cases, null)
            : (cases, $"{Path.GetFileName(fileName)} exited with {process.ExitCode}: {LastLines(errors.ToString())}");
    }

    private static string LastLines(string text) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3).Select(l => l.Trim()));
}
