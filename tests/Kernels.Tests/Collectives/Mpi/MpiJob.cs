using System.Diagnostics;
using Kernels.Collectives.Mpi;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>The MPI implementations the MPI tests run under; a fixture takes one (public, as NUnit fixture arguments must be).</summary>
public enum MpiUnderTest
{
    OpenMpi,
    Mpich,
}

/// <summary>
/// Starts programs under an MPI launcher for the MPI tests: Open MPI's <c>mpirun</c> or MPICH's Hydra (<c>mpiexec.hydra</c>),
/// called by their implementation-specific names so that the test does not depend on which one Debian's <c>mpirun</c>
/// alternative points to. Both are declared dependencies (<c>./build.sh deps</c> installs openmpi-bin and mpich), so a missing
/// launcher fails the test. Open MPI needs <c>--oversubscribe</c> for more ranks than cores, <c>--allow-run-as-root</c> as root
/// and <c>-x NAME</c> to pass a variable on; Hydra takes none of these and passes the whole environment on by itself.
/// </summary>
internal static class MpiJob
{
    private static readonly Lazy<string> OpenMpiLauncher = new(() => FindLauncher(MpiUnderTest.OpenMpi, ["mpirun.openmpi", "mpirun"], "Open MPI"));
    private static readonly Lazy<string> HydraLauncher = new(() => FindLauncher(MpiUnderTest.Mpich, ["mpiexec.hydra", "mpirun.mpich"], "HYDRA"));

    /// <summary>How long the shell of a killed rank outlives it under Hydra (see <see cref="Run"/>): above the failure
    /// tests' deadline plus the survivors' reporting time, on a loaded machine.</summary>
    internal static readonly TimeSpan HydraDeathCover = TimeSpan.FromSeconds(10);

    /// <summary>The library's name for <paramref name="mpi"/>.</summary>
    internal static MpiImplementation Implementation(MpiUnderTest mpi) =>
        mpi == MpiUnderTest.OpenMpi ? MpiImplementation.OpenMpi : MpiImplementation.Mpich;

    /// <summary>What <c>MPI_Get_library_version</c> starts with under <paramref name="mpi"/>.</summary>
    internal static string LibraryVersionPrefix(MpiUnderTest mpi) => mpi == MpiUnderTest.OpenMpi ? "Open MPI" : "MPICH Version";

    /// <summary>Runs <paramref name="program"/> on <paramref name="ranks"/> ranks under <paramref name="mpi"/>'s launcher with
    /// <paramref name="environment"/> exported to every rank; fails the test if the job outlives <paramref name="bound"/>.</summary>
    /// <param name="survivorsKeepRunning">A rank that dies does not end the others, which must notice it themselves: Open MPI
    /// <c>--enable-recovery</c>; Hydra <c>-disable-auto-cleanup</c>, and each rank started by a shell that outlives a killed
    /// rank by <see cref="HydraDeathCover"/>, because MPICH 4.0.2's Hydra ends the job anyway in nearly every run of the worker here (traced: its
    /// proxy SIGKILLs the survivors when it reaps a rank killed by a signal before it has handled that rank's PMI socket
    /// closing, even with -disable-auto-cleanup).</param>
    internal static (int ExitCode, string Output, TimeSpan Elapsed) Run(MpiUnderTest mpi, int ranks, string[] program, TimeSpan bound,
        IReadOnlyDictionary<string, string>? environment = null, bool survivorsKeepRunning = false)
    {
        string launcher;
        var arguments = new List<string>();
        if (mpi == MpiUnderTest.OpenMpi)
        {
            launcher = OpenMpiLauncher.Value;
            arguments.AddRange(["-n", ranks.ToString(), "--oversubscribe"]);
            if (Environment.UserName == "root")
                arguments.Add("--allow-run-as-root");
            foreach (string name in environment?.Keys ?? Enumerable.Empty<string>())
                arguments.AddRange(["-x", name]);
            if (survivorsKeepRunning)
                arguments.Add("--enable-recovery");
        }
        else
        {
            launcher = HydraLauncher.Value;
            arguments.AddRange(["-n", ranks.ToString()]);
            if (survivorsKeepRunning)
            {
                arguments.Add("-disable-auto-cleanup");
                // The shell holds the rank's PMI socket, output pipes and process-table entry, so Hydra sees nothing of a
                // killed rank until the survivors have had their deadline to notice it by themselves.
                int cover = (int)HydraDeathCover.TotalSeconds;
                program = ["/bin/sh", "-c", $"\"$@\"; status=$?; if [ $status -gt 128 ]; then sleep {cover}; fi; exit $status", "rank", .. program];
            }
        }
        arguments.AddRange(program);
        var start = new ProcessStartInfo(launcher, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
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
            Assert.Fail($"{launcher} {string.Join(' ', arguments)} did not finish within {bound.TotalSeconds:0} s:\n{output.Result}{errors.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + errors.Result, clock.Elapsed);
    }

    /// <summary>A program of the native build (build/native/bin), found above the test folder; fails the test when it is missing.</summary>
    internal static string NativeProgram(string name)
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "build", "native", "bin", name);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"build/native/bin/{name} is missing: CMake builds it where pkg-config finds the MPI (ompi-c, mpich; ./build.sh deps installs both).");
        return "";
    }

    /// <summary>The first of <paramref name="names"/> on PATH whose <c>--version</c> mentions <paramref name="banner"/>.</summary>
    private static string FindLauncher(MpiUnderTest mpi, string[] names, string banner)
    {
        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string path in names.SelectMany(name => folders.Select(folder => Path.Combine(folder, name))).Where(File.Exists))
        {
            var start = new ProcessStartInfo(path, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            string version = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (version.Contains(banner, StringComparison.Ordinal))
                return path;
        }
        Assert.Fail($"No {mpi} launcher ({string.Join(" or ", names)} reporting \"{banner}\") on PATH: ./build.sh deps installs openmpi-bin and mpich.");
        return "";
    }
}
