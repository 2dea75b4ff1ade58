using System.Diagnostics;

namespace Kernels.Perf.Collectives;

/// <summary>
/// The programs the collectives group starts: mpirun on PATH, and this program itself for our ranks.
/// </summary>
internal static class PeerPrograms
{
    /// <summary>mpirun's full path on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    /// <summary>How to start this program again (the apphost, or `dotnet kernels-perf.dll`).</summary>
    public static (string FileName, IReadOnlyList<string> LeadingArguments) Self()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? (host, [typeof(PeerPrograms).Assembly.Location])
            : (host, []);
    }

    /// <summary>Runs a program to the end and returns its first output line, or null if it cannot run.</summary>
    public static string? FirstLineOf(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
