using Kernels.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>Reduce-scatter on spans and buffers: each rank's shard against the float64 reference, counts not divisible by the world size included.</summary>
[TestFixture]
public class ReduceScatterTests
{
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Avg, ReduceOp.Max, ReduceOp.Min];

    private static IEnumerable<TestCaseData> Worlds() =>
        from size in Enumerable.Range(1, 5)
        from storage in new[] { Storage.F32, Storage.F16, Storage.BF16 }
        select new TestCaseData(size, storage);

    [TestCaseSource(nameof(Worlds)), CancelAfter(60_000)]
    public void Each_rank_gets_its_reduced_shard(int size, Storage storage)
    {
        using var job = new TestJob(size, TestJob.Small());
        storage.Run(new ReduceScatterCheck(job));
    }

    [Test]
    public void Shards_cover_the_vector_in_rank_order_with_the_remainder_first()
    {
        using var job = new TestJob(3);
        Communicator comm = job.Ranks[0];
        Assert.That(Enumerable.Range(0, 3).Select(rank => comm.ShardOf(7, rank)), Is.EqualTo(new[] { (0, 3), (3, 2), (5, 2) }));
        Assert.That(Enumerable.Range(0, 3).Select(rank => comm.ShardOf(2, rank)), Is.EqualTo(new[] { (0, 1), (1, 1), (2, 0) }));
    }

    private sealed class ReduceScatterCheck(TestJob job) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            int size = job.Ranks.Length;
            var cases = (from op in Ops from count in CollectiveData.Counts.Append(2 * size + 1) select (Op: op, Count: count)).ToArray();
            var spanResults = new T[size][][];
            var bufferResults = new T[size][][];
            job.Run(comm =>
            {
                spanResults[comm.Rank] = new T[cases.Length][];
                bufferResults[comm.Rank] = new T[cases.Length][];
                for (int c = 0; c < cases.Length; c++)
                {
                    (ReduceOp op, int count) = cases[c];
                    T[] input = CollectiveData.Input<T>(comm.Rank, count, seed: c);
                    (int offset, int length) = comm.ShardOf(count, comm.Rank);
                    var shard = new T[length];
                    comm.ReduceScatter<T>(input, shard, op);
                    spanResults[comm.Rank][c] = shard;

                    using CommunicatorBuffer<T> buffer = comm.AllocateBuffer<T>(count);
                    input.CopyTo(buffer.Span);
                    comm.ReduceScatter(buffer, op);
                    Assert.That(buffer.Span[..offset].ToArray(), Is.EqualTo(input[..offset]), "elements before the shard changed");
                    Assert.That(buffer.Span[(offset + length)..].ToArray(), Is.EqualTo(input[(offset + length)..]), "elements after the shard changed");
                    bufferResults[comm.Rank][c] = buffer.Span.Slice(offset, length).ToArray();
                }
            });
            for (int c = 0; c < cases.Length; c++)
            {
                (ReduceOp op, int count) = cases[c];
                double[] expected = CollectiveData.Reduced<T>(size, count, op, seed: c);
                for (int rank = 0; rank < size; rank++)
                {
                    (int offset, int length) = job.Ranks[0].ShardOf(count, rank);
                    double[] shard = expected[offset..(offset + length)];
                    CollectiveData.AssertReduced<T>(spanResults[rank][c], shard, $"{op} count {count} rank {rank} span");
                    CollectiveData.AssertReduced<T>(bufferResults[rank][c], shard, $"{op} count {count} rank {rank} buffer");
                }
            }
        }
    }
}
