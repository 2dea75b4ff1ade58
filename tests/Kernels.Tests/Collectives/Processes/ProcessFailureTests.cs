using System.Diagnostics;
using System.Runtime.Versioning;
using Kernels.Collectives;
using Kernels.Collectives.Transport.SharedMemory;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// Failures between processes: a rank killed mid-collective, a crashed job's leftover files, a job id in use, ranks
/// started with different world sizes. Each must end in a clear exception, never a hang, and leave /dev/shm clean.
/// </summary>
[TestFixture]
[SupportedOSPlatform("linux")]
[NonParallelizable]
public sealed class ProcessFailureTests
{
    /// <summary>Far below the ranks' deadline (60 s): loss must be seen from the dead process, not by timing out.</summary>
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(5);

    [TestCase(2, 1)]
    [TestCase(3, 0)]
    [TestCase(4, 2)]
    public void KilledRankIsNamedByEverySurvivorPromptly(int size, int victim)
    {
        var lines = new RankLines(size);
        using LaunchedJob job = Worker.Start(size, ["loop", "1025"], lines, timeoutMs: 60_000);
        Worker.WaitUntil(() => Enumerable.Range(0, size).All(rank => lines.FirstTime(rank, "looping") is not null), "every rank loops");

        string[] files = Worker.FilesOf(job.JobId);
        Assert.That(files, Has.Length.EqualTo(size + 1), "one segment per rank and the job file");
        Assert.That(files.Select(File.GetUnixFileMode), Has.All.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "mode 0600");

        long killedAt = Stopwatch.GetTimestamp();
        job.Kill(victim);
        LaunchResult result = job.WaitForExit();

        Assert.Multiple(() =>
        {
            Assert.That(result.FirstFailedRank, Is.EqualTo(victim), lines.Describe());
            foreach (int survivor in Enumerable.Range(0, size).Where(rank => rank != victim))
            {
                Assert.That(result.ExitCodes[survivor], Is.Zero, $"rank {survivor} should end with PeerLostException:\n{lines.Describe()}");
                string? report = lines.Of(survivor).FirstOrDefault(line => line.StartsWith("peer-lost", StringComparison.Ordinal));
                Assert.That(report, Does.Contain($"rank {victim}'s process"), $"rank {survivor} names the killed rank");
                long? reportedAt = lines.FirstTime(survivor, "peer-lost");
                Assert.That(reportedAt, Is.Not.Null);
                Assert.That(Stopwatch.GetElapsedTime(killedAt, reportedAt!.Value), Is.LessThan(DetectionBound), $"rank {survivor} detection time");
            }
            Assert.That(result.RemovedLeftovers, Is.Empty, "survivors remove their segments, the dead rank's and the job file");
            Assert.That(Worker.FilesOf(job.JobId), Is.Empty);
        });
    }

    /// <summary>A stopped process still exists; only its stale heartbeat tells it apart (after Heartbeat.StaleAfterMilliseconds, 10 s).</summary>
    [Test]
    public void StoppedRankIsNamedOnceItsHeartbeatIsStale()
    {
        var lines = new RankLines(2);
        using LaunchedJob job = Worker.Start(2, ["loop", "1025"], lines, timeoutMs: 60_000);
        Worker.WaitUntil(() => lines.FirstTime(0, "looping") is not null && lines.FirstTime(1, "looping") is not null, "both ranks loop");

        using (Process stop = Process.Start("kill", ["-STOP", job.ProcessIdOf(1).ToString()]))
        {
            stop.WaitForExit();
        }
        long stoppedAt = Stopwatch.GetTimestamp();
        Worker.WaitUntil(() => lines.FirstTime(0, "peer-lost") is not null, "rank 0 reports the stopped rank");
        TimeSpan detection = Stopwatch.GetElapsedTime(stoppedAt, lines.FirstTime(0, "peer-lost")!.Value);
        job.Kill(1);
        LaunchResult result = job.WaitForExit();

        Assert.Multiple(() =>
        {
            Assert.That(lines.Of(0).First(line => line.StartsWith("peer-lost", StringComparison.Ordinal)), Does.Contain("rank 1's process").And.Contain("no sign of life"));
            Assert.That(detection, Is.InRange(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10) + DetectionBound));
            Assert.That(result.ExitCodes[0], Is.Zero, lines.Describe());
            Assert.That(result.RemovedLeftovers, Has.Length.EqualTo(1), "rank 1 was alive (stopped) when rank 0 left, so only its own segment remained for the launcher");
        });
    }

    [Test]
    public void CrashedJobsLeftoversAreRemovedByTheNextJobWithTheSameId()
    {
        string jobId = SharedMemoryNames.NewJobId();
        using (Process lone = Worker.StartRank(rank: 0, size: 2, jobId))
        {
            // Rank 0 alone creates the job file and its segment, then waits for rank 1: kill it there.
            Worker.WaitUntil(() => Worker.FilesOf(jobId).Length == 2, "rank 0 has created its files");
            lone.Kill();
            lone.WaitForExit();
        }
        Assert.That(Worker.FilesOf(jobId), Has.Length.EqualTo(2), "a killed rank leaves its files");

        (LaunchResult result, RankLines lines) = Worker.Run(2, ["join"], jobId);

        Assert.That(result.ExitCode, Is.Zero, lines.Describe());
        Assert.That(result.RemovedLeftovers, Is.Empty, lines.Describe());
        Assert.That(Worker.FilesOf(jobId), Is.Empty);
    }

    [Test]
    public void OrphansOfOtherDeadJobsAreRemovedByTheNextJob()
    {
        string orphanJob = SharedMemoryNames.NewJobId();
        using (Process lone = Worker.StartRank(rank: 0, size: 2, orphanJob))
        {
            Worker.WaitUntil(() => Worker.FilesOf(orphanJob).Length == 2, "rank 0 has created its files");
            lone.Kill();
            lone.WaitForExit();
        }
        // Younger files are spared (they may be between creation and the write of their pid): age them.
        foreach (string file in Worker.FilesOf(orphanJob))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow - LeftoverFiles.OrphanMinimumAge - TimeSpan.FromSeconds(1));
        }

        (LaunchResult result, RankLines lines) = Worker.Run(2, ["join"]);

        Assert.That(result.ExitCode, Is.Zero, lines.Describe());
        Assert.That(Worker.FilesOf(orphanJob), Is.Empty);
    }

    [Test]
    public void JobIdOfARunningJobIsRefused()
    {
        string jobId = SharedMemoryNames.NewJobId();
        using Process running = Worker.StartRank(rank: 0, size: 2, jobId);
        try
        {
            Worker.WaitUntil(() => Worker.FilesOf(jobId).Length == 2, "the running job's rank 0 has created its files");
            using Process second = Worker.StartRank(rank: 0, size: 2, jobId);
            (int exitCode, string output) = Worker.Finish(second);

            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain($"Job id '{jobId}' is in use").And.Contain($"running process {running.Id}"));
            Assert.That(Worker.FilesOf(jobId), Has.Length.EqualTo(2), "the running job's files are untouched");
        }
        finally
        {
            running.Kill();
            running.WaitForExit();
            foreach (string file in Worker.FilesOf(jobId))
            {
                File.Delete(file);
            }
        }
    }

    [Test]
    public void RanksWithDifferentWorldSizesAllFailWithAMismatch()
    {
        string jobId = SharedMemoryNames.NewJobId();
        using Process rank0 = Worker.StartRank(rank: 0, size: 2, jobId);
        using Process rank1 = Worker.StartRank(rank: 1, size: 3, jobId);

        (int exit0, string output0) = Worker.Finish(rank0);
        (int exit1, string output1) = Worker.Finish(rank1);

        Assert.Multiple(() =>
        {
            foreach ((int exitCode, string output) in new[] { (exit0, output0), (exit1, output1) })
            {
                Assert.That(exitCode, Is.Not.Zero);
                Assert.That(output, Does.Contain(nameof(CollectiveMismatchException))
                    .And.Contain("rank 1 was started with world size 3, rank 0 with 2"));
            }
            Assert.That(Worker.FilesOf(jobId), Is.Empty, "both ranks removed what they created");
        });
    }
}
