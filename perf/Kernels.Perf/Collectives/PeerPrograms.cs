using System.Diagnostics;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Where the collective peers are: kn_peer_gloo in the native build (build/native/bin of the repository
/// this binary was built from, or <c>KN_PEERS_DIR</c>), mpirun on PATH, and this program itself for our ranks.
/// </summary>
internal static class PeerPrograms
{
    public const string FolderVariable = "KN_PEERS_DIR";

    /// <summary>The peer's full path, or null with <paramref name="problem"/> saying why not.</summary>
    public static string? Find(string name, out string problem)
    {
        string? folder = Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } configured ? configured : NativeBinFolder();
        string? path = folder is null ? null : Path.Combine(folder, name);
        problem = path is null
            ? $"{name}: no native build found above {AppContext.BaseDirectory} (set {FolderVariable})"
            : $"{name} is not built ({path} missing; CMake builds it when it finds the library)";
        return path is not null && File.Exists(path) ? path : null;
    }

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

    private static string? NativeBinFolder()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string bin = Path.Combine(dir.FullName, "build", "native", "bin");
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && Directory.Exists(bin))
            {
                return bin;
            }
        }
        return null;
    }
}
