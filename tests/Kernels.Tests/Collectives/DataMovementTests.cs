using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>All-gather(V), broadcast, barrier and send/recv: exact copies, any unmanaged element type.</summary>
[TestFixture]
public class DataMovementTests
{
    private static IEnumerable<int> Sizes() => Enumerable.Range(1, 5);

    private static int[] Contribution(int rank, int count) => Enumerable.Range(0, count).Select(i => rank * 1_000_000 + i).ToArray();

    [TestCaseSource(nameof(Sizes)), CancelAfter(60_000)]
    public void AllGather_concatenates_every_rank_in_rank_order(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        var results = new int[size][][];
        job.Run(comm =>
        {
            results[comm.Rank] = CollectiveData.Counts.Select(count =>
            {
                var output = new int[count * size];
                comm.AllGather<int>(Contribution(comm.Rank, count), output);
                return output;
            }).ToArray();
        });
        for (int c = 0; c < CollectiveData.Counts.Length; c++)
        {
            int[] expected = Enumerable.Range(0, size).SelectMany(rank => Contribution(rank, CollectiveData.Counts[c])).ToArray();
            for (int rank = 0; rank < size; rank++)
            {
                Assert.That(results[rank][c], Is.EqualTo(expected), $"count {CollectiveData.Counts[c]} rank {rank}");
            }
        }
    }

    [TestCaseSource(nameof(Sizes)), CancelAfter(60_000)]
    public void AllGather_of_a_buffer_fills_every_shard_from_its_owner(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        foreach (int count in CollectiveData.Counts.Append(2 * size + 1))
        {
            var results = new float[size][];
            job.Run(comm =>
            {
                using CommunicatorBuffer<float> buffer = comm.AllocateBuffer<float>(count);
                buffer.Span.Fill(-1);
                (int offset, int length) = comm.ShardOf(count, comm.Rank);
                buffer.Span.Slice(offset, length).Fill(comm.Rank);
                comm.AllGather(buffer);
                results[comm.Rank] = buffer.Span.ToArray();
            });
            float[] expected = Enumerable.Range(0, count).Select(i =>
                (float)Enumerable.Range(0, size).First(rank => job.Ranks[0].ShardOf(count, rank) is var s && i >= s.Offset && i < s.Offset + s.Length)).ToArray();
            for (int rank = 0; rank < size; rank++)
            {
                Assert.That(results[rank], Is.EqualTo(expected), $"count {count} rank {rank}");
            }
        }
    }

    [TestCaseSource(nameof(Sizes)), CancelAfter(60_000)]
    public void AllGatherV_concatenates_different_counts(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        int[][] countSets =
        [
            Enumerable.Range(0, size).Select(rank => rank % 3).ToArray(),           // zeros included
            Enumerable.Range(0, size).Select(rank => 1025 + 7 * rank).ToArray(),    // several slots, uneven
            Enumerable.Range(0, size).Select(rank => rank == size - 1 ? 3000 : 1).ToArray(),
        ];
        foreach (int[] counts in countSets)
        {
            var results = new int[size][];
            job.Run(comm =>
            {
                var output = new int[counts.Sum()];
                comm.AllGatherV<int>(Contribution(comm.Rank, counts[comm.Rank]), output, counts);
                results[comm.Rank] = output;
            });
            int[] expected = Enumerable.Range(0, size).SelectMany(rank => Contribution(rank, counts[rank])).ToArray();
            for (int rank = 0; rank < size; rank++)
            {
                Assert.That(results[rank], Is.EqualTo(expected), $"counts [{string.Join(", ", counts)}] rank {rank}");
            }
        }
    }

    [TestCaseSource(nameof(Sizes)), CancelAfter(60_000)]
    public void Broadcast_copies_the_roots_data_to_every_rank(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        for (int root = 0; root < size; root++)
        {
            foreach (int count in CollectiveData.Counts)
            {
                var spans = new Half[size][];
                var buffers = new Half[size][];
                job.Run(comm =>
                {
                    Half[] data = CollectiveData.Input<Half>(comm.Rank, count);
                    comm.Broadcast<Half>(data, root);
                    spans[comm.Rank] = data;

                    using CommunicatorBuffer<Half> buffer = comm.AllocateBuffer<Half>(count);
                    CollectiveData.Input<Half>(comm.Rank, count, seed: 1).CopyTo(buffer.Span);
                    comm.Broadcast(buffer, root);
                    buffers[comm.Rank] = buffer.Span.ToArray();
                });
                for (int rank = 0; rank < size; rank++)
                {
                    Assert.That(spans[rank], Is.EqualTo(CollectiveData.Input<Half>(root, count)), $"span root {root} count {count} rank {rank}");
                    Assert.That(buffers[rank], Is.EqualTo(CollectiveData.Input<Half>(root, count, seed: 1)), $"buffer root {root} count {count} rank {rank}");
                }
            }
        }
    }

    [TestCaseSource(nameof(Sizes)), CancelAfter(30_000)]
    public void Barrier_returns_only_after_every_rank_arrived(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        for (int round = 1; round <= 20; round++)
        {
            int arrived = 0;
            var seen = new int[size];
            job.Run(comm =>
            {
                Thread.Sleep(comm.Rank);
                Interlocked.Increment(ref arrived);
                comm.Barrier();
                seen[comm.Rank] = Volatile.Read(ref arrived);
            });
            Assert.That(seen, Is.All.EqualTo(size), $"round {round}");
        }
    }

    [TestCaseSource(nameof(Sizes)), CancelAfter(30_000)]
    public void Send_and_Recv_pass_messages_around_the_ring(int size)
    {
        if (size == 1)
        {
            Assert.Pass("no peer to send to");
        }
        using var job = new TestJob(size, TestJob.Small());
        foreach (int count in CollectiveData.Counts)
        {
            var received = new float[size][];
            job.Run(comm =>
            {
                int next = (comm.Rank + 1) % size, previous = (comm.Rank + size - 1) % size;
                float[] message = CollectiveData.Input<float>(comm.Rank, count);
                var inbox = new float[count];
                // Send completes only when received: even ranks send first, odd ranks receive first, so the ring cannot deadlock.
                if (comm.Rank % 2 == 0)
                {
                    comm.Send<float>(message, next);
                    comm.Recv<float>(inbox, previous);
                }
                else
                {
                    comm.Recv<float>(inbox, previous);
                    comm.Send<float>(message, next);
                }
                received[comm.Rank] = inbox;
            });
            for (int rank = 0; rank < size; rank++)
            {
                Assert.That(received[rank], Is.EqualTo(CollectiveData.Input<float>((rank + size - 1) % size, count)), $"count {count} rank {rank}");
            }
        }
    }

    [Test, CancelAfter(30_000)]
    public void Collectives_and_point_to_point_interleave_on_the_same_staging()
    {
        using var job = new TestJob(2, TestJob.Small());
        var results = new float[2][];
        job.Run(comm =>
        {
            float[] data = CollectiveData.Input<float>(comm.Rank, 2000);
            comm.AllReduce<float>(data, ReduceOp.Sum);
            var echo = new float[2000];
            if (comm.Rank == 0)
            {
                comm.Send<float>(data, 1);
            }
            else
            {
                comm.Recv<float>(echo, 0);
                Assert.That(echo, Is.EqualTo(data));
            }
            comm.AllReduce<float>(data, ReduceOp.Max);
            results[comm.Rank] = data;
        });
        Assert.That(results[1], Is.EqualTo(results[0]));
    }
}
