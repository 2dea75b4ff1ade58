using System.Diagnostics;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// Starts programs under mpirun for the MPI tests. MPI is a declared dependency (<c>./build.sh deps</c> installs
/// openmpi-bin), so a missing mpirun fails the test. Open MPI needs <c>--oversubscribe</c> for more ranks than cores and
/// <c>--allow-run-as-root</c> as root; MPICH's Hydra takes neither, and passes the whole environment on by itself.
/// </summary>
internal static class MpiJob
{
    private static readonly Lazy<(string Path, bool OpenMpi)> Launcher = new(FindLauncher);

    /// <summary>Runs <paramref name="program"/> on <paramref name="ranks"/> ranks with <paramref name="environment"/> exported to
    /// every rank; fails the test if the job outlives <paramref name="bound"/>.</summary>
    internal static (int ExitCode, string Output, TimeSpan Elapsed) Run(int ranks, string[] program, TimeSpan bound,
        IReadOnlyDictionary<string, string>? environment = null, string[]? launcherFlags = null)
    {
        (string mpirun, bool openMpi) = Launcher.Value;
        var arguments = new List<string> { "-n", ranks.ToString() };
        if (openMpi)
        {
            arguments.Add("--oversubscribe");
            if (Environment.UserName == "root")
                arguments.Add("--allow-run-as-root");
            foreach (string name in environment?.Keys ?? Enumerable.Empty<string>())
                arguments.AddRange(["-x", name]);
            arguments.AddRange(launcherFlags ?? []);
        }
        arguments.AddRange(program);
        var start = new ProcessStartInfo(mpirun, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(bound))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"mpirun {string.Join(' ', arguments)} did not finish within {bound.TotalSeconds:0} s:\n{output.Result}{errors.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + errors.Result, clock.Elapsed);
    }

    private static (string, bool) FindLauncher()
    {
        string? mpirun = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "mpirun")).FirstOrDefault(File.Exists);
        if (mpirun is null)
            Assert.Fail("mpirun is not on PATH: MPI is a dependency of the project (./build.sh deps installs openmpi-bin).");
        var start = new ProcessStartInfo(mpirun!, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string version = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (mpirun!, version.Contains("Open MPI", StringComparison.Ordinal));
    }
}
