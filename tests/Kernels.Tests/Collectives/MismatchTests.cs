using Kernels.Collectives;
using NUnit.Framework;
using static Kernels.Tests.Collectives.SentinelOutputs;

namespace Kernels.Tests.Collectives;

/// <summary>Ranks calling with different arguments: every rank throws the same mismatch, nothing is computed, and the communicator stays usable.</summary>
[TestFixture]
public class MismatchTests
{
    private static IEnumerable<TestCaseData> Mismatches()
    {
        yield return Case("Count", [1], comm => comm.AllReduce<float>(new float[comm.Rank == 1 ? 9 : 8], Output(comm.Rank == 1 ? 9 : 8), ReduceOp.Sum));
        yield return Case("Op", [2], comm => comm.AllReduce<float>(new float[8], Output(8), comm.Rank == 2 ? ReduceOp.Max : ReduceOp.Sum));
        // At most 16 bytes go inline beside the progress counter (digests compared first): inline against inline, and
        // inline against the slot path (rank 1 too large to go inline).
        yield return Case("Count", [1], comm => comm.AllReduce<float>(new float[comm.Rank == 1 ? 3 : 2], Output(comm.Rank == 1 ? 3 : 2), ReduceOp.Sum));
        yield return Case("Count", [1], comm => comm.AllReduce<float>(new float[comm.Rank == 1 ? 5 : 4], Output(comm.Rank == 1 ? 5 : 4), ReduceOp.Sum));
        yield return Case("Op", [2], comm => comm.AllReduce<float>(new float[2], Output(2), comm.Rank == 2 ? ReduceOp.Min : ReduceOp.Sum));
        yield return Case("ElementType", [1, 2], comm =>
        {
            if (comm.Rank == 0) comm.AllReduce<float>(new float[8], Output(8), ReduceOp.Sum);
            else comm.AllReduce<Half>(new Half[8], new Half[8], ReduceOp.Sum);
        });
        yield return Case("Collective", [1, 2], comm =>
        {
            if (comm.Rank == 0) comm.Broadcast<float>(Output(8), 0);
            else comm.AllReduce<float>(new float[8], Output(8), ReduceOp.Sum);
        });
        yield return Case("Root", [2], comm => comm.Broadcast<float>(Output(8), comm.Rank == 2 ? 1 : 0));
        yield return Case("BufferKind", [1], comm =>
        {
            using CommunicatorBuffer<float> buffer = comm.AllocateBuffer<float>(8);
            buffer.Span.Fill(Sentinel);
            if (comm.Rank == 1) comm.AllReduce<float>(new float[8], Output(8), ReduceOp.Sum);
            else comm.AllReduce(buffer, ReduceOp.Sum);
            Assert.That(buffer.Span.ToArray(), Is.All.EqualTo(Sentinel), "a buffer changed after a mismatch");
        });
        yield return Case("Shape", [2], comm =>
        {
            int[] counts = comm.Rank == 2 ? [1, 2, 2] : [2, 1, 2]; // same total, different split
            comm.AllGatherV<float>(new float[counts[comm.Rank]], Output(counts.Sum()), counts);
        });
        yield return Case("Count", [1], comm =>
        {
            int count = comm.Rank == 1 ? 10 : 9;
            comm.ReduceScatter<float>(new float[count], Output(comm.ShardOf(count, comm.Rank).Length), ReduceOp.Sum);
        });
    }

    private static TestCaseData Case(string field, int[] ranks, Action<Communicator> call) =>
        new TestCaseData(field, ranks, call).SetArgDisplayNames(field, string.Join("+", ranks));

    [TestCaseSource(nameof(Mismatches)), CancelAfter(30_000)]
    public void Every_rank_throws_the_same_mismatch_and_can_go_on(string field, int[] differingRanks, Action<Communicator> call)
    {
        using var job = new TestJob(3, TestJob.Small());
        (Exception?[] failures, bool[] untouched) = RunRecordingOutputs(job, call);
        for (int rank = 0; rank < 3; rank++)
        {
            Assert.That(failures[rank], Is.TypeOf<CollectiveMismatchException>(), $"rank {rank}");
            var mismatch = (CollectiveMismatchException)failures[rank]!;
            Assert.That(mismatch.Field, Is.EqualTo(field));
            Assert.That(mismatch.Ranks, Is.EqualTo(differingRanks));
            Assert.That(mismatch.Message, Is.EqualTo(failures[0]!.Message), "every rank reports the same");
            Assert.That(untouched[rank], Is.True, $"rank {rank}'s output was written");
        }

        var results = new float[3][];
        job.Run(comm =>
        {
            var data = new float[] { comm.Rank, 1 };
            comm.AllReduce<float>(data, ReduceOp.Sum);
            results[comm.Rank] = data;
        });
        Assert.That(results, Is.All.EqualTo(new float[] { 3, 3 }), "the communicator works after a mismatch");
    }

    [Test, CancelAfter(30_000)]
    public void Send_and_Recv_that_disagree_throw_on_both_sides_and_can_go_on()
    {
        using var job = new TestJob(2, TestJob.Small());
        var inbox = Enumerable.Repeat(Sentinel, 6).ToArray();
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
        {
            if (comm.Rank == 0) comm.Send<float>(new float[5], 1);
            else comm.Recv<float>(inbox, 0);
        });
        Assert.That(failures[0], Is.TypeOf<CollectiveMismatchException>());
        Assert.That(failures[1], Is.TypeOf<CollectiveMismatchException>().With.Property("Field").EqualTo("Count"));
        Assert.That(inbox, Is.All.EqualTo(Sentinel));

        var received = new float[3];
        job.Run(comm =>
        {
            if (comm.Rank == 0) comm.Send<float>(new float[] { 1, 2, 3 }, 1);
            else comm.Recv<float>(received, 0);
        });
        Assert.That(received, Is.EqualTo(new float[] { 1, 2, 3 }));
    }
}
