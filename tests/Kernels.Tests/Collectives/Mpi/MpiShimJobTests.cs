using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// Every libkernels_mpi call across real MPI processes: runs cpp/mpi/tests/kmpi_check (built with the shim) under
/// mpirun with 2 and 3 ranks. Skipped without the program (no MPI found by CMake).
/// </summary>
public class MpiShimJobTests
{
    [TestCase(2)]
    [TestCase(3)]
    public void EveryCallWorksAcrossProcesses(int ranks)
    {
        string? check = CheckProgram();
        if (check is null)
            Assert.Ignore("build/native/bin/kmpi_check is missing (the shim not built: CMake found no MPI)");

        (int exitCode, string output, _) = MpiJob.Run(ranks, [check!], TimeSpan.FromSeconds(120));

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
}
