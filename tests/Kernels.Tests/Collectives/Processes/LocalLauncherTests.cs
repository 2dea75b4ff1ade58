using System.Diagnostics;
using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>The launcher: environment and output of each rank, and a failing rank ending the job.</summary>
[TestFixture]
[NonParallelizable]
public sealed class LocalLauncherTests
{
    [Test]
    public void OutputIsForwardedPerRankAndStream()
    {
        (LaunchResult result, RankLines lines) = Worker.Run(3, ["join"]);

        Assert.That(result.ExitCode, Is.Zero, lines.Describe());
        for (int rank = 0; rank < 3; rank++)
        {
            Assert.That(lines.Of(rank), Does.Contain($"joined rank={rank} size=3"));
        }
    }

    [Test]
    public void FailingRankEndsTheJobAfterTheGracePeriodWithItsExitCode()
    {
        var lines = new RankLines(3);
        var clock = Stopwatch.StartNew();
        using LaunchedJob job = LocalLauncher.Start(3, Worker.Dotnet, [Worker.Assembly, "exit", "1", "7"], new LaunchOptions
        {
            GracePeriod = TimeSpan.FromMilliseconds(500),
            Timeout = Worker.JobBound,
            Output = lines.Add,
        });
        LaunchResult result = job.WaitForExit();

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(7));
            Assert.That(result.FirstFailedRank, Is.EqualTo(1));
            Assert.That(result.ExitCodes[0], Is.Not.Zero, "killed after the grace period (they sleep 60 s)");
            Assert.That(result.TimedOut, Is.False);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
            for (int rank = 0; rank < 3; rank++)
            {
                Assert.That(lines.Output(rank), Does.Contain(new RankOutput(rank, false, $"out {rank}")));
                Assert.That(lines.Output(rank), Does.Contain(new RankOutput(rank, true, $"err {rank}")));
            }
        });
    }

    [Test]
    public void TimeoutKillsEveryRank()
    {
        LaunchResult result = LocalLauncher.Run(2, Worker.Dotnet, [Worker.Assembly, "exit", "-1", "0"], new LaunchOptions
        {
            Timeout = TimeSpan.FromSeconds(2),
            Output = _ => { },
        });

        Assert.That((result.TimedOut, result.ExitCode, result.FirstFailedRank), Is.EqualTo((true, LocalLauncher.TimedOutExitCode, (int?)null)));
    }
}
