using System.Text.RegularExpressions;
using Kernels.Collectives.Mpi;
using Kernels.Tests.Collectives.Processes;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// Every libkernels_mpi call across real MPI processes, under each MPI: runs cpp/mpi/tests/kmpi_check (built with the Open
/// MPI shim) under mpirun and kmpi_check_mpich (built with the MPICH shim) under Hydra, with 2 and 3 ranks; and the managed
/// side under each launcher: <c>Communicator.FromEnvironment</c> reads rank and size from the launcher's variables, and
/// loads the shim that matches the launcher's MPI.
/// </summary>
[TestFixture(MpiUnderTest.OpenMpi)]
[TestFixture(MpiUnderTest.Mpich)]
[NonParallelizable]
public sealed class MpiShimJobTests(MpiUnderTest mpi)
{
    [TestCase(2)]
    [TestCase(3)]
    public void EveryCallWorksAcrossProcesses(int ranks)
    {
        string check = MpiJob.NativeProgram(mpi == MpiUnderTest.OpenMpi ? "kmpi_check" : "kmpi_check_mpich");

        (int exitCode, string output, _) = MpiJob.Run(mpi, ranks, [check], TimeSpan.FromSeconds(120));

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain($"OK {ranks} ranks; library: {MpiJob.LibraryVersionPrefix(mpi)}"), "the check program ran on the other MPI");
    }

    /// <summary>One host, no simulated hosts: the launcher's rank and size make a shared-memory job (KN_JOB names it: Hydra
    /// publishes no job id).</summary>
    [TestCase(2)]
    [TestCase(3)]
    public void FromEnvironmentTakesRankAndSizeFromTheLauncher(int ranks)
    {
        string job = $"mpi-join-{Guid.NewGuid():N}"[..24];

        (int exitCode, string output, _) = MpiJob.Run(mpi, ranks, [Worker.Dotnet, Worker.Assembly, "join"], TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["KN_JOB"] = job });

        Assert.That(exitCode, Is.Zero, output);
        for (int rank = 0; rank < ranks; rank++)
            Assert.That(output, Does.Contain($"joined rank={rank} size={ranks}"), output);
    }

    /// <summary>Simulated hosts make the job hierarchical, which starts MPI through the shim of the launcher's implementation
    /// (KN_DEBUG's "[kn] MPI:" line names the file and the library); the wrong one would start each rank as a singleton.</summary>
    [Test]
    public void HierarchicalJobLoadsTheShimOfTheLaunchersMpi()
    {
        (int exitCode, string output, _) = MpiJob.Run(mpi, 2, [Worker.Dotnet, Worker.Assembly, "join"], TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["KN_SIMULATED_HOSTS"] = "2", ["KN_DEBUG"] = "1" });

        Assert.That(exitCode, Is.Zero, output);
        string file = MpiShimLibrary.FileName(MpiJob.Implementation(mpi));
        Assert.That(Regex.Matches(output, $@"\[kn\] MPI: \S+/{Regex.Escape(file)}, {MpiJob.LibraryVersionPrefix(mpi)}"), Has.Count.EqualTo(2), output);
        for (int rank = 0; rank < 2; rank++)
            Assert.That(output, Does.Contain($"joined rank={rank} size=2"), output);
    }
}
