using System.Text.RegularExpressions;
using Kernels.Tests.Collectives.Processes;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// Failures of a hierarchical job under Open MPI's mpirun and MPICH's Hydra (simulated hosts): a count mismatch between hosts gives every rank the same
/// <see cref="Kernels.Collectives.CollectiveMismatchException"/> and leaves the communicator usable, and a Send/Recv count
/// mismatch across hosts throws on both sides; a rank that stops
/// calling, or whose process is killed, gives every survivor an exception within the deadline — never a hang.
/// </summary>
[TestFixture(MpiUnderTest.OpenMpi)]
[TestFixture(MpiUnderTest.Mpich)]
[NonParallelizable]
public sealed class HierarchicalFailureTests(MpiUnderTest mpi)
{
    private const int TimeoutMs = 3000;

    [TestCase(2, "2")]
    [TestCase(3, "0,1,0")]
    public void CountMismatchIsReportedOnEveryRank(int size, string hosts)
    {
        (int exitCode, string output, _) = MpiJob.Run(mpi, size, [Worker.Dotnet, Worker.Assembly, "mismatch"], TimeSpan.FromSeconds(120), Environment(hosts));

        Assert.That(exitCode, Is.Zero, output);
        for (int rank = 0; rank < size; rank++)
        {
            Assert.That(output, Does.Contain($"mismatch rank={rank} field=Count"), output);
            Assert.That(output, Does.Contain($"usable rank={rank} sum={size}"), output);
        }
        Assert.That(output, Does.Contain("p2p-mismatch rank=0 field=Count"), "rank 0 sent 5 floats to rank 1 (another host), which expected 6");
        Assert.That(output, Does.Contain("p2p-mismatch rank=1 field=Count"), output);
    }

    /// <param name="how">kill: the process dies (the launcher told to keep the others running); stall: it stops calling collectives.</param>
    /// <param name="failing">The failing rank: with hosts 0,1,0, rank 1 is alone on its host and rank 2 shares rank 0's.</param>
    [TestCase("stall", 2, "2", 1)]
    [TestCase("kill", 2, "2", 1)]
    [TestCase("stall", 3, "0,1,0", 1)]
    [TestCase("stall", 3, "0,1,0", 2)]
    [TestCase("kill", 3, "0,1,0", 2)]
    public void SurvivorsGetAnExceptionWithinTheDeadline(string how, int size, string hosts, int failing)
    {
        (_, string output, TimeSpan elapsed) = MpiJob.Run(mpi, size, [Worker.Dotnet, Worker.Assembly, "fail", how, failing.ToString()],
            TimeSpan.FromSeconds(120), new Dictionary<string, string>(Environment(hosts)) { ["KN_DEBUG"] = "1" }, survivorsKeepRunning: true);
        RemoveFilesOfTheFailedRank(output);

        for (int rank = 0; rank < size; rank++)
        {
            if (rank == failing)
                continue;
            Match report = Regex.Match(output, $"failed rank={rank} exception=(CollectiveTimeoutException|PeerLostException) waited-ms=(\\d+)");
            Assert.That(report.Success, $"rank {rank} reported no timeout or lost peer:\n{output}");
            Assert.That(int.Parse(report.Groups[2].Value), Is.LessThan(TimeoutMs + 2000), $"rank {rank} waited past the deadline:\n{output}");
        }
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), output);
    }

    /// <summary>The failing rank never disposes: its host's shared-memory files (job ids from KN_DEBUG's lines) are removed here.</summary>
    private static void RemoveFilesOfTheFailedRank(string output)
    {
        foreach (string jobId in Regex.Matches(output, @"job (mpi-[0-9a-f]+-h\d+)").Select(match => match.Groups[1].Value).Distinct())
        {
            foreach (string file in Worker.FilesOf(jobId))
                File.Delete(file);
        }
    }

    private static Dictionary<string, string> Environment(string hosts) =>
        new() { ["KN_SIMULATED_HOSTS"] = hosts, ["KN_TIMEOUT_MS"] = TimeoutMs.ToString() };
}
