using System.Diagnostics;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// Every libkernels_mpi call across real MPI processes: runs cpp/mpi/tests/kmpi_check (built with the shim) under
/// mpirun with 2 and 3 ranks. Skipped without mpirun or without the program (no MPI found by CMake).
/// </summary>
public class MpiShimJobTests
{
    [TestCase(2)]
    [TestCase(3)]
    public void EveryCallWorksAcrossProcesses(int ranks)
    {
        string? mpirun = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "mpirun")).FirstOrDefault(File.Exists);
        string? check = CheckProgram();
        if (mpirun is null || check is null)
            Assert.Ignore("mpirun or build/native/bin/kmpi_check is missing (MPI not installed, or the shim not built)");

        // Open MPI refuses root and more ranks than cores unless told; MPICH's mpirun takes neither flag.
        bool openMpi = Run(mpirun!, ["--version"], TimeSpan.FromSeconds(30)).Output.Contains("Open MPI", StringComparison.Ordinal);
        string[] flags = openMpi ? ["--oversubscribe", .. Environment.UserName == "root" ? ["--allow-run-as-root"] : Array.Empty<string>()] : [];
        (int exitCode, string output) = Run(mpirun!, ["-n", ranks.ToString(), .. flags, check!], TimeSpan.FromSeconds(120));

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain($"OK {ranks} ranks"));
    }

    private static string? CheckProgram()
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "build", "native", "bin", "kmpi_check");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static (int ExitCode, string Output) Run(string fileName, string[] arguments, TimeSpan deadline)
    {
        var start = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(deadline))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish within {deadline.TotalSeconds:0} s");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + errors.Result);
    }
}
