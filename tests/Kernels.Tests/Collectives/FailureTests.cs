using System.Diagnostics;
using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>Deadlines, lost peers and cancellation: every surviving rank gets an exception naming the culprit, never a hang.</summary>
[TestFixture]
public class FailureTests
{
    [TestCase(CollectiveAlgorithm.OneShot), TestCase(CollectiveAlgorithm.TwoShot), TestCase(CollectiveAlgorithm.RecursiveHalvingDoubling), TestCase(CollectiveAlgorithm.Ring)]
    [CancelAfter(30_000)]
    public void A_rank_that_never_arrives_times_out_on_every_other_rank_naming_it(CollectiveAlgorithm algorithm)
    {
        using var job = new TestJob(3, TestJob.Small(algorithm, timeoutMs: 300));
        (Exception?[] failures, TimeSpan[] elapsed) =
            RankThreads.RunWithoutLastRank(job.Ranks, comm => comm.AllReduce<float>(new float[100], ReduceOp.Sum));
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.That(failures[rank], Is.TypeOf<CollectiveTimeoutException>(), $"rank {rank}");
            var timeout = (CollectiveTimeoutException)failures[rank]!;
            Assert.That(timeout.MissingRanks, Is.EqualTo(new[] { 2 }), $"rank {rank}");
            Assert.That(timeout.Message, Does.Contain("rank(s) 2"));
            Assert.That(elapsed[rank], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)).And.LessThan(TimeSpan.FromSeconds(10)), $"rank {rank}");
        }
        Assert.That(failures[2], Is.Null);
        Assert.That(() => job.Ranks[0].Barrier(), Throws.TypeOf<CommunicatorFaultedException>()
            .With.InnerException.TypeOf<CollectiveTimeoutException>());
    }

    [Test, CancelAfter(30_000)]
    public void A_rank_that_disposes_mid_collective_is_reported_lost_promptly()
    {
        using var job = new TestJob(3, TestJob.Small(timeoutMs: 60_000));
        var elapsed = new TimeSpan[3];
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
        {
            if (comm.Rank == 2)
            {
                Thread.Sleep(200);
                comm.Dispose();
                return;
            }
            var clock = Stopwatch.StartNew();
            try
            {
                comm.AllReduce<float>(new float[5000], ReduceOp.Sum);
            }
            finally
            {
                elapsed[comm.Rank] = clock.Elapsed;
            }
        });
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.That(failures[rank], Is.TypeOf<PeerLostException>(), $"rank {rank}");
            Assert.That(((PeerLostException)failures[rank]!).LostRanks, Is.EqualTo(new[] { 2 }));
            Assert.That(failures[rank]!.Message, Does.Contain("disposed"));
            Assert.That(elapsed[rank], Is.LessThan(TimeSpan.FromSeconds(10)), "well before the 60 s deadline");
        }
    }

    [Test, CancelAfter(30_000)]
    public void A_rank_that_failed_part_way_is_reported_lost_to_peers_that_still_need_it()
    {
        using var job = new TestJob(3, TestJob.Small(CollectiveAlgorithm.TwoShot, timeoutMs: 60_000));
        using var rank2Failed = new ManualResetEventSlim();
        var elapsed = new TimeSpan[3];
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
        {
            if (comm.Rank == 2)
            {
                // Arrives (so peers see its descriptor), then gives up waiting: its communicator is faulted.
                using var cancel = new CancellationTokenSource(200);
                try
                {
                    comm.AllReduce<float>(new float[64], ReduceOp.Sum, cancel.Token);
                }
                finally
                {
                    rank2Failed.Set();
                }
                return;
            }
            rank2Failed.Wait(TimeSpan.FromSeconds(20));
            var clock = Stopwatch.StartNew();
            try
            {
                comm.AllReduce<float>(new float[64], ReduceOp.Sum);
            }
            finally
            {
                elapsed[comm.Rank] = clock.Elapsed;
            }
        });
        Assert.That(failures[2], Is.InstanceOf<OperationCanceledException>());
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.That(failures[rank], Is.TypeOf<PeerLostException>(), $"rank {rank}");
            Assert.That(((PeerLostException)failures[rank]!).LostRanks, Is.EqualTo(new[] { 2 }));
            Assert.That(failures[rank]!.Message, Does.Contain("failed"));
            Assert.That(elapsed[rank], Is.LessThan(TimeSpan.FromSeconds(10)));
        }
        Assert.That(() => job.Ranks[2].Barrier(), Throws.TypeOf<CommunicatorFaultedException>());
    }

    [Test, CancelAfter(30_000)]
    public void Cancelling_while_waiting_throws_promptly_and_faults_the_communicator()
    {
        using var job = new TestJob(2, TestJob.Small(timeoutMs: 60_000));
        Communicator comm = job.Ranks[0];
        using var cancel = new CancellationTokenSource(150);
        var clock = Stopwatch.StartNew();
        Assert.That(() => comm.AllReduce<float>(new float[10], ReduceOp.Sum, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(() => comm.AllReduce<float>(new float[10], ReduceOp.Sum), Throws.TypeOf<CommunicatorFaultedException>());
    }

    [Test, CancelAfter(30_000)]
    public void A_token_cancelled_before_the_call_skips_it_and_leaves_the_communicator_usable()
    {
        using var job = new TestJob(2, TestJob.Small());
        var results = new float[2][];
        job.Run(comm =>
        {
            var data = new float[] { comm.Rank + 1 };
            if (comm.Rank == 0)
            {
                using var cancelled = new CancellationTokenSource();
                cancelled.Cancel();
                Assert.That(() => comm.AllReduce<float>(data, ReduceOp.Sum, cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
                ValueTask pending = comm.AllReduceAsync<float>(data, ReduceOp.Sum, cancelled.Token);
                Assert.That(async () => await pending, Throws.InstanceOf<OperationCanceledException>());
            }
            comm.AllReduce<float>(data, ReduceOp.Sum);
            results[comm.Rank] = data;
        });
        Assert.That(results, Is.All.EqualTo(new float[] { 3 }));
    }

    [Test, CancelAfter(30_000)]
    public void Disposing_from_another_thread_stops_a_waiting_collective()
    {
        using var job = new TestJob(2, TestJob.Small(timeoutMs: 60_000));
        Communicator comm = job.Ranks[0];
        var disposer = new Thread(() =>
        {
            Thread.Sleep(150);
            comm.Dispose();
        });
        disposer.Start();
        Assert.That(() => comm.AllReduce<float>(new float[10], ReduceOp.Sum), Throws.TypeOf<ObjectDisposedException>());
        disposer.Join();
        Assert.That(() => comm.Barrier(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test, CancelAfter(30_000)]
    public void Disposing_fails_queued_async_collectives()
    {
        using var job = new TestJob(2, TestJob.Small(timeoutMs: 60_000));
        Communicator comm = job.Ranks[0];
        ValueTask first = comm.AllReduceAsync(new float[10].AsMemory(), ReduceOp.Sum);
        ValueTask second = comm.BarrierAsync();
        Thread.Sleep(100);
        comm.Dispose();
        Assert.That(async () => await first, Throws.TypeOf<ObjectDisposedException>());
        Assert.That(async () => await second, Throws.TypeOf<ObjectDisposedException>());
    }
}
