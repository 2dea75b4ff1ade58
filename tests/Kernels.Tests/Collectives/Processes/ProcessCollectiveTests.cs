using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// Collectives between real processes over the shared-memory transport, world sizes 2..4: one launched job per world
/// size runs every case of a plan (starting dotnet costs far more than the collectives), then each rank's output is
/// compared with the float64 reference, and all-reduce results across ranks bit for bit.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProcessCollectiveTests
{
    private static readonly int[] Counts = [0, 1, 1025];
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Avg, ReduceOp.Max];

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void CollectivesMatchTheReferenceOnEveryRank(int size)
    {
        using var plan = new CollectivePlan(size);
        var checks = new List<Action>();
        foreach (bool inBuffer in new[] { false, true })
        {
            foreach (int count in Counts)
            {
                foreach (ReduceOp op in Ops)
                {
                    checks.Add(PlanChecks.AllReduce<float>(plan, op, inBuffer, count));
                    checks.Add(PlanChecks.AllReduce<BFloat16>(plan, op, inBuffer, count));
                }
                checks.Add(PlanChecks.AllGather<float>(plan, inBuffer, count));
            }
            checks.Add(PlanChecks.Broadcast(plan, inBuffer, 1025, root: size - 1));
        }
        checks.Add(PlanChecks.SendRecv(plan, 0));
        checks.Add(PlanChecks.SendRecv(plan, 1025));
        plan.Write();

        (Kernels.Collectives.LaunchResult result, RankLines lines) = Worker.Run(size, ["plan", plan.Directory]);

        Assert.That(result.ExitCode, Is.Zero, lines.Describe());
        Assert.That(result.RemovedLeftovers, Is.Empty, "every rank's Dispose should have removed its segment and rank 0 the job file");
        Assert.Multiple(() =>
        {
            foreach (Action check in checks)
            {
                check();
            }
        });
    }

    /// <summary>The ring (KN_ALGO=ring) across processes: spans and buffers, one element, fewer elements than ranks, many rounds.</summary>
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void RingAllReduceMatchesTheReferenceOnEveryRank(int size)
    {
        using var plan = new CollectivePlan(size);
        var checks = new List<Action>();
        foreach (bool inBuffer in new[] { false, true })
        {
            foreach (int count in new[] { 0, 1, size - 1, 1025, 20_003 })
            {
                foreach (ReduceOp op in Ops)
                {
                    checks.Add(PlanChecks.AllReduce<float>(plan, op, inBuffer, count));
                    checks.Add(PlanChecks.AllReduce<BFloat16>(plan, op, inBuffer, count));
                }
            }
        }
        plan.Write();

        (Kernels.Collectives.LaunchResult result, RankLines lines) = Worker.Run(size, ["plan", plan.Directory], algorithm: "ring");

        Assert.That(result.ExitCode, Is.Zero, lines.Describe());
        Assert.Multiple(() =>
        {
            foreach (Action check in checks)
            {
                check();
            }
        });
    }

    /// <summary>Two jobs of the same plan give the same bits (every algorithm the cost model picks is run-to-run deterministic).</summary>
    [Test]
    public void AllReduceGivesTheSameBitsFromRunToRun()
    {
        const int size = 3;
        using var plan = new CollectivePlan(size);
        var cases = new List<int>();
        foreach (ReduceOp op in Ops)
        {
            cases.Add(plan.Add<float>("allreduce", op.ToString(), false, 1025));
            cases.Add(plan.Add<BFloat16>("allreduce", op.ToString(), true, 1025));
        }
        plan.Write();

        (Kernels.Collectives.LaunchResult first, RankLines firstLines) = Worker.Run(size, ["plan", plan.Directory]);
        Assert.That(first.ExitCode, Is.Zero, firstLines.Describe());
        byte[][] firstOutputs = [.. cases.Select(index => plan.Output<byte>(index, 0))];
        (Kernels.Collectives.LaunchResult second, RankLines secondLines) = Worker.Run(size, ["plan", plan.Directory]);
        Assert.That(second.ExitCode, Is.Zero, secondLines.Describe());

        for (int i = 0; i < cases.Count; i++)
        {
            Assert.That(plan.Output<byte>(cases[i], 0), Is.EqualTo(firstOutputs[i]), plan.Lines[cases[i]]);
        }
    }
}
