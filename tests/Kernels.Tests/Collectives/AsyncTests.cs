using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>Several async collectives in flight on one communicator: they run and complete in issue order, and synchronous calls wait for them.</summary>
[TestFixture]
public class AsyncTests
{
    [Test, CancelAfter(30_000)]
    public void In_flight_collectives_complete_in_issue_order_with_correct_results()
    {
        const int size = 3;
        using var job = new TestJob(size, TestJob.Small());
        var outOfOrder = new bool[size];
        var sums = new float[size][];
        var maxima = new float[size][];
        var gathered = new float[size][];
        var broadcast = new float[size][];
        job.Run(comm =>
        {
            float[] sum = CollectiveData.Input<float>(comm.Rank, 3000);
            float[] max = CollectiveData.Input<float>(comm.Rank, 5, seed: 1);
            var all = new float[2 * size];
            float[] fromRoot = CollectiveData.Input<float>(comm.Rank, 100, seed: 2);
            ValueTask[] pending =
            [
                comm.AllReduceAsync(sum.AsMemory(), ReduceOp.Sum),
                comm.AllReduceAsync(max.AsMemory(), ReduceOp.Max),
                comm.AllGatherAsync(new float[] { comm.Rank, -comm.Rank }.AsMemory(), all.AsMemory()),
                comm.BroadcastAsync(fromRoot.AsMemory(), root: 1),
                comm.BarrierAsync(),
            ];
            Task[] tasks = pending.Select(p => p.AsTask()).ToArray();
            // When collective i completes, every earlier one must already have completed.
            Task[] checks = tasks.Select((task, i) => task.ContinueWith(_ =>
            {
                if (tasks.Take(i).Any(earlier => !earlier.IsCompleted))
                {
                    outOfOrder[comm.Rank] = true;
                }
            }, TaskContinuationOptions.ExecuteSynchronously)).ToArray();

            // A synchronous collective issued now runs after all of them.
            var after = new float[] { 1 };
            comm.AllReduce<float>(after, ReduceOp.Sum);
            Assert.That(tasks.All(t => t.IsCompletedSuccessfully), "the synchronous call overtook queued async ones");
            Assert.That(after[0], Is.EqualTo(size));
            Task.WaitAll(checks);
            sums[comm.Rank] = sum;
            maxima[comm.Rank] = max;
            gathered[comm.Rank] = all;
            broadcast[comm.Rank] = fromRoot;
        });
        Assert.That(outOfOrder, Is.All.False);
        for (int rank = 0; rank < size; rank++)
        {
            CollectiveData.AssertReduced<float>(sums[rank], CollectiveData.Reduced<float>(size, 3000, ReduceOp.Sum), $"sum rank {rank}");
            CollectiveData.AssertReduced<float>(maxima[rank], CollectiveData.Reduced<float>(size, 5, ReduceOp.Max, seed: 1), $"max rank {rank}");
            Assert.That(gathered[rank], Is.EqualTo(new float[] { 0, 0, 1, -1, 2, -2 }));
            Assert.That(broadcast[rank], Is.EqualTo(CollectiveData.Input<float>(1, 100, seed: 2)));
        }
    }

    [Test, CancelAfter(30_000)]
    public void Async_buffer_reduce_scatter_and_point_to_point_work()
    {
        using var job = new TestJob(2, TestJob.Small());
        var reduced = new BFloat16[2][];
        var shards = new Half[2][];
        var received = new int[4];
        job.Run(comm =>
        {
            using CommunicatorBuffer<BFloat16> buffer = comm.AllocateBuffer<BFloat16>(2000);
            CollectiveData.Input<BFloat16>(comm.Rank, 2000).CopyTo(buffer.Span);
            Half[] input = CollectiveData.Input<Half>(comm.Rank, 9);
            var shard = new Half[comm.ShardOf(9, comm.Rank).Length];
            Task[] tasks =
            [
                comm.AllReduceAsync(buffer, ReduceOp.Avg).AsTask(),
                comm.ReduceScatterAsync(input.AsMemory(), shard.AsMemory(), ReduceOp.Min).AsTask(),
                comm.Rank == 0
                    ? comm.SendAsync<int>(new[] { 4, 3, 2, 1 }, 1).AsTask()
                    : comm.RecvAsync(received.AsMemory(), 0).AsTask(),
                comm.AllGatherVAsync<int>(new int[comm.Rank], new int[1], new[] { 0, 1 }).AsTask(),
            ];
            Task.WaitAll(tasks);
            reduced[comm.Rank] = buffer.Span.ToArray();
            shards[comm.Rank] = shard;
        });
        double[] average = CollectiveData.Reduced<BFloat16>(2, 2000, ReduceOp.Avg);
        double[] minimum = CollectiveData.Reduced<Half>(2, 9, ReduceOp.Min);
        for (int rank = 0; rank < 2; rank++)
        {
            CollectiveData.AssertReduced<BFloat16>(reduced[rank], average, $"rank {rank}");
            (int offset, int length) = job.Ranks[0].ShardOf(9, rank);
            CollectiveData.AssertReduced<Half>(shards[rank], minimum[offset..(offset + length)], $"rank {rank}");
        }
        Assert.That(received, Is.EqualTo(new[] { 4, 3, 2, 1 }));
    }
}
