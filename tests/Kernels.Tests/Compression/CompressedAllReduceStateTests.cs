using Kernels.Compression;
using Kernels.Tests.Collectives;
using NUnit.Framework;
using static Kernels.Tests.Compression.AllReduceCases;

namespace Kernels.Tests.Compression;

/// <summary>CompressedAllReduce state: save -> restore -> continue is bit-identical; state from another job, shape or version is refused untouched.</summary>
[TestFixture]
public class CompressedAllReduceStateTests
{
    private const int Ranks = 3, StepsBeforeSave = 2, StepsAfterSave = 2;

    [Test, CancelAfter(60_000)]
    public void Save_restore_continue_gives_the_uninterrupted_trajectory_bit_for_bit([Values] AllReduceProtocol protocol)
    {
        var saved = new byte[Ranks][];
        var uninterrupted = new float[Ranks][][];
        using (var job = new TestJob(Ranks, TestJob.Small()))
        {
            job.Run(comm =>
            {
                CompressedAllReduce allReduce = Create(comm, protocol);
                uninterrupted[comm.Rank] = new float[StepsAfterSave][];
                for (int step = 0; step < StepsBeforeSave + StepsAfterSave; step++)
                {
                    if (step == StepsBeforeSave) saved[comm.Rank] = Saved(allReduce);
                    float[] average = Step(allReduce, protocol, comm.Rank, step);
                    if (step >= StepsBeforeSave) uninterrupted[comm.Rank][step - StepsBeforeSave] = average;
                }
            });
        }
        using (var job = new TestJob(Ranks, TestJob.Small()))
        {
            job.Run(comm =>
            {
                CompressedAllReduce allReduce = Create(comm, protocol);
                allReduce.RestoreState(new MemoryStream(saved[comm.Rank]));
                for (int step = StepsBeforeSave; step < StepsBeforeSave + StepsAfterSave; step++)
                {
                    Assert.That(Step(allReduce, protocol, comm.Rank, step), Is.EqualTo(uninterrupted[comm.Rank][step - StepsBeforeSave]),
                        $"rank {comm.Rank} step {step}");
                }
            });
        }
    }

    [Test, CancelAfter(60_000)]
    public void State_from_a_job_of_another_size_or_another_rank_is_refused_and_nothing_changes()
    {
        byte[][] fromTwoRanks = StatesAfterOneStep(2, AllReduceProtocol.OneBit);
        byte[][] fromThreeRanks = StatesAfterOneStep(3, AllReduceProtocol.OneBit);
        using var job = new TestJob(3, TestJob.Small());
        CompressedAllReduce target = Create(job.Ranks[0], AllReduceProtocol.OneBit);
        byte[] before = Saved(target);
        Assert.That(() => target.RestoreState(new MemoryStream(fromTwoRanks[0])),
            Throws.ArgumentException.With.Message.Contains("2-rank job").And.Message.Contains("rank 0 of 3"));
        Assert.That(() => target.RestoreState(new MemoryStream(fromThreeRanks[1])),
            Throws.ArgumentException.With.Message.Contains("saved by rank 1"));
        Assert.That(Saved(target), Is.EqualTo(before));
        target.RestoreState(new MemoryStream(fromThreeRanks[0]));
        Assert.That(Saved(target), Is.EqualTo(fromThreeRanks[0]));
    }

    [Test, CancelAfter(30_000)]
    public void State_for_another_shape_protocol_or_format_version_is_refused_and_nothing_changes()
    {
        using var job = new TestJob(1, TestJob.Small());
        var comm = job.Ranks[0];
        var stepped = new CompressedAllReduce(comm, new PowerSgd(2, seed: 1), ErrorFeedback.Ef14());
        stepped.Run(new float[12 * 10], new float[12 * 10], new MatrixShape(12, 10));
        var other = new CompressedAllReduce(comm, new PowerSgd(2, seed: 1), ErrorFeedback.Ef14());
        other.Run(new float[10 * 12], new float[10 * 12], new MatrixShape(10, 12));
        byte[] otherShape = Saved(other);
        byte[] before = Saved(stepped);

        Assert.That(() => stepped.RestoreState(new MemoryStream(otherShape)), Throws.ArgumentException.With.Message.Contains("10 x 12"));
        Assert.That(() => stepped.RestoreState(new MemoryStream(Saved(Create(comm, AllReduceProtocol.TopK)))),
            Throws.ArgumentException.With.Message.Contains("SparseAllGather"));
        byte[] newerVersion = (byte[])before.Clone();
        BitConverter.GetBytes(2).CopyTo(newerVersion, 4);  // the format version follows the 4-byte magic
        Assert.That(() => stepped.RestoreState(new MemoryStream(newerVersion)), Throws.ArgumentException.With.Message.Contains("version 2"));
        Assert.That(() => stepped.RestoreState(new MemoryStream(before[..^3])), Throws.ArgumentException.With.Message.Contains("truncated"));
        Assert.That(Saved(stepped), Is.EqualTo(before));
    }

    private static float[] Step(CompressedAllReduce allReduce, AllReduceProtocol protocol, int rank, int step)
    {
        float[] gradient = Gradient(protocol, rank, step);
        var average = new float[gradient.Length];
        allReduce.Run(gradient, average, Shape(protocol));
        return average;
    }

    private static byte[][] StatesAfterOneStep(int ranks, AllReduceProtocol protocol)
    {
        var states = new byte[ranks][];
        using var job = new TestJob(ranks, TestJob.Small());
        job.Run(comm =>
        {
            CompressedAllReduce allReduce = Create(comm, protocol);
            Step(allReduce, protocol, comm.Rank, 0);
            states[comm.Rank] = Saved(allReduce);
        });
        return states;
    }
}
