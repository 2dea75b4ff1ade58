using Kernels.Collectives;
using Kernels.Collectives.Algorithms;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>Sparse all-gather and reduce-scatter with different entry counts per rank, duplicates, and bounds checks on both sides.</summary>
[TestFixture]
public class SparseTests
{
    private const int IndexSpace = 1000;

    /// <summary>Rank r's entries: a few per rank, none on rank 2, many (several staging rounds) on rank 1; duplicate indices included.</summary>
    private static (int[] Indices, float[] Values) Entries(int rank)
    {
        int count = rank == 1 ? 1500 : rank == 2 ? 0 : 3 + rank;
        var random = new Random(17 + rank);
        int[] indices = Enumerable.Range(0, count).Select(_ => random.Next(IndexSpace)).ToArray();
        float[] values = Enumerable.Range(0, count).Select(_ => (random.Next(129) - 64) / 4f).ToArray();
        return (indices, values);
    }

    private static double[] DenseSum(int size)
    {
        var sum = new double[IndexSpace];
        for (int rank = 0; rank < size; rank++)
        {
            (int[] indices, float[] values) = Entries(rank);
            for (int i = 0; i < indices.Length; i++)
            {
                sum[indices[i]] += values[i];
            }
        }
        return sum;
    }

    [TestCase(1), TestCase(2), TestCase(3), TestCase(4), TestCase(5), CancelAfter(30_000)]
    public void AllGather_concatenates_entries_in_rank_order(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        var results = new SparseEntries<float>[size];
        job.Run(comm =>
        {
            (int[] indices, float[] values) = Entries(comm.Rank);
            results[comm.Rank] = comm.SparseAllGather<float>(indices, values, IndexSpace);
        });
        int[] expectedIndices = Enumerable.Range(0, size).SelectMany(rank => Entries(rank).Indices).ToArray();
        float[] expectedValues = Enumerable.Range(0, size).SelectMany(rank => Entries(rank).Values).ToArray();
        for (int rank = 0; rank < size; rank++)
        {
            Assert.That(results[rank].Indices, Is.EqualTo(expectedIndices), $"rank {rank}");
            Assert.That(results[rank].Values, Is.EqualTo(expectedValues), $"rank {rank}");
        }
    }

    [TestCase(1), TestCase(3), TestCase(5), CancelAfter(30_000)]
    public void AllGather_into_a_dense_buffer_sums_every_ranks_entries(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        var results = new BFloat16[size][];
        job.Run(comm =>
        {
            (int[] indices, float[] values) = Entries(comm.Rank);
            var dense = new BFloat16[IndexSpace];
            comm.SparseAllGather<BFloat16>(indices, values.Select(v => (BFloat16)v).ToArray(), dense);
            results[comm.Rank] = dense;
        });
        double[] expected = DenseSum(size);
        for (int rank = 0; rank < size; rank++)
        {
            CollectiveData.AssertReduced<BFloat16>(results[rank], expected, $"rank {rank}");
            Compare.Bitwise<BFloat16>(results[rank], results[0], $"rank {rank} vs rank 0");
        }
    }

    /// <summary>Forces each side of the density switch: for f32 the dense path gives the sparse path's bits.</summary>
    [TestCase(2), TestCase(3), CancelAfter(30_000)]
    public void Dense_path_above_the_threshold_gives_the_sparse_paths_bits(int size)
    {
        float[][] Run(double threshold, bool shardOnly)
        {
            using var job = new TestJob(size, new CommunicatorOptions { StagingSlotBytes = 4096, SparseDenseThreshold = threshold, Timeout = TimeSpan.FromSeconds(30) });
            var results = new float[size][];
            job.Run(comm =>
            {
                (int[] indices, float[] values) = Entries(comm.Rank);
                var result = new float[shardOnly ? comm.ShardOf(IndexSpace, comm.Rank).Length : IndexSpace];
                if (shardOnly)
                {
                    comm.SparseReduceScatter<float>(indices, values, IndexSpace, result);
                }
                else
                {
                    comm.SparseAllGather<float>(indices, values, result);
                }
                results[comm.Rank] = result;
            });
            return results;
        }

        foreach (bool shardOnly in new[] { false, true })
        {
            float[][] sparse = Run(double.PositiveInfinity, shardOnly), dense = Run(0, shardOnly);
            double[] expected = DenseSum(size);
            for (int rank = 0; rank < size; rank++)
            {
                Compare.Bitwise<float>(dense[rank], sparse[rank], $"rank {rank}, {(shardOnly ? "reduce-scatter" : "all-gather")}");
                if (!shardOnly)
                {
                    CollectiveData.AssertReduced<float>(dense[rank], expected, $"rank {rank}");
                }
            }
        }
    }

    [TestCase(0.1, 200, 2, false), TestCase(0.1, 199, 2, true), TestCase(0.5, 1000, 1, false), TestCase(0, 0, 0, false)]
    public void Density_switch_compares_the_mean_fraction_per_rank(double threshold, long entries, int ranks, bool sparse)
    {
        bool dense = SparseDensity.PrefersDense(entries, Math.Max(ranks, 1), ranks == 0 ? 0 : 1000, threshold);
        Assert.That(dense, Is.EqualTo(!sparse));
    }

    [TestCase(1), TestCase(2), TestCase(3), TestCase(4), TestCase(5), CancelAfter(30_000)]
    public void ReduceScatter_gives_each_rank_the_sums_in_its_shard(int size)
    {
        using var job = new TestJob(size, TestJob.Small());
        var entries = new SparseEntries<float>[size];
        var shards = new float[size][];
        job.Run(comm =>
        {
            (int[] indices, float[] values) = Entries(comm.Rank);
            entries[comm.Rank] = comm.SparseReduceScatter<float>(indices, values, IndexSpace);
            var shard = new float[comm.ShardOf(IndexSpace, comm.Rank).Length];
            comm.SparseReduceScatter<float>(indices, values, IndexSpace, shard);
            shards[comm.Rank] = shard;
        });
        double[] expected = DenseSum(size);
        var touched = Enumerable.Range(0, size).SelectMany(rank => Entries(rank).Indices).ToHashSet();
        for (int rank = 0; rank < size; rank++)
        {
            (int offset, int length) = job.Ranks[0].ShardOf(IndexSpace, rank);
            int[] expectedIndices = Enumerable.Range(offset, length).Where(touched.Contains).ToArray();
            Assert.That(entries[rank].Indices, Is.EqualTo(expectedIndices), $"rank {rank}: sorted unique indices of its shard");
            CollectiveData.AssertReduced<float>(entries[rank].Values, expectedIndices.Select(i => expected[i]).ToArray(), $"rank {rank} entries");
            CollectiveData.AssertReduced<float>(shards[rank], expected[offset..(offset + length)], $"rank {rank} dense shard");
        }
    }

    [Test, CancelAfter(30_000)]
    public void Async_forms_queue_in_order_and_match_the_sync_forms()
    {
        const int size = 3;
        using var job = new TestJob(size, TestJob.Small());
        var asyncResults = new (SparseEntries<float> Gathered, float[] Dense, SparseEntries<float> Scattered, float[] Shard)[size];
        var syncResults = new (SparseEntries<float> Gathered, float[] Dense, SparseEntries<float> Scattered, float[] Shard)[size];
        job.Run(comm =>
        {
            (int[] indices, float[] values) = Entries(comm.Rank);
            int shardLength = comm.ShardOf(IndexSpace, comm.Rank).Length;
            var dense = new float[IndexSpace];
            var shard = new float[shardLength];
            Task first = comm.AllReduceAsync(new float[10].AsMemory(), ReduceOp.Sum).AsTask();
            Task<SparseEntries<float>> gathered = comm.SparseAllGatherAsync<float>(indices, values, IndexSpace).AsTask();
            Task summed = comm.SparseAllGatherAsync<float>(indices, values, dense).AsTask();
            Task<SparseEntries<float>> scattered = comm.SparseReduceScatterAsync<float>(indices, values, IndexSpace).AsTask();
            Task sharded = comm.SparseReduceScatterAsync<float>(indices, values, IndexSpace, shard).AsTask();
            Task.WaitAll(first, gathered, summed, scattered, sharded);
            asyncResults[comm.Rank] = (gathered.Result, dense, scattered.Result, shard);

            var dense2 = new float[IndexSpace];
            var shard2 = new float[shardLength];
            SparseEntries<float> gathered2 = comm.SparseAllGather<float>(indices, values, IndexSpace);
            comm.SparseAllGather<float>(indices, values, dense2);
            SparseEntries<float> scattered2 = comm.SparseReduceScatter<float>(indices, values, IndexSpace);
            comm.SparseReduceScatter<float>(indices, values, IndexSpace, shard2);
            syncResults[comm.Rank] = (gathered2, dense2, scattered2, shard2);
        });
        for (int rank = 0; rank < size; rank++)
        {
            Assert.That(asyncResults[rank].Gathered.Indices, Is.EqualTo(syncResults[rank].Gathered.Indices));
            Assert.That(asyncResults[rank].Gathered.Values, Is.EqualTo(syncResults[rank].Gathered.Values));
            Assert.That(asyncResults[rank].Dense, Is.EqualTo(syncResults[rank].Dense));
            Assert.That(asyncResults[rank].Scattered.Indices, Is.EqualTo(syncResults[rank].Scattered.Indices));
            Assert.That(asyncResults[rank].Scattered.Values, Is.EqualTo(syncResults[rank].Scattered.Values));
            Assert.That(asyncResults[rank].Shard, Is.EqualTo(syncResults[rank].Shard));
        }
    }

    [Test, CancelAfter(30_000)]
    public void Ranks_with_different_index_spaces_all_get_a_mismatch()
    {
        using var job = new TestJob(3, TestJob.Small());
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
            comm.SparseReduceScatter<float>([1], [1f], comm.Rank == 2 ? 50 : 40));
        Assert.That(failures, Has.All.TypeOf<CollectiveMismatchException>().With.Property("Field").EqualTo("IndexSpace"));
        Assert.That(((CollectiveMismatchException)failures[0]!).Ranks, Is.EqualTo(new[] { 2 }));
    }

    [Test, CancelAfter(30_000)]
    public void Bad_local_entries_are_rejected_before_anything_is_sent()
    {
        using var job = new TestJob(2, TestJob.Small());
        Communicator comm = job.Ranks[0];
        Assert.That(() => comm.SparseAllGather<float>([5, -1], [1f, 2f], 10), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => comm.SparseAllGather<float>([10], [1f], 10), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => comm.SparseReduceScatter<float>([1, 2], [1f], 10), Throws.ArgumentException);
        Assert.That(() => comm.SparseReduceScatter<float>([1], [1f], -1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => comm.SparseReduceScatter<float>([1], [1f], 10, new float[4]), Throws.ArgumentException);
        Assert.That(() => comm.SparseAllGather<double>([1], [1.0], 10), Throws.TypeOf<NotSupportedException>());

        var results = new float[2][];
        job.Run(c =>
        {
            var dense = new float[4];
            c.SparseAllGather<float>([c.Rank], [1f], dense);
            results[c.Rank] = dense;
        });
        Assert.That(results, Is.All.EqualTo(new float[] { 1, 1, 0, 0 }), "the rejected calls sent nothing");
    }

    [Test]
    public void Received_indices_outside_the_range_are_rejected_before_any_write()
    {
        var sums = new SparseAccumulator(start: 100, length: 10);
        sums.Add("test", 0, [100, 109], [1f, 2f]);
        Assert.That(() => sums.Add("test", 3, [105, 110], [5f, 5f]),
            Throws.TypeOf<CollectiveDataException>().With.Property("SourceRank").EqualTo(3));
        Assert.That(() => sums.Add("test", 4, [99], [5f]), Throws.TypeOf<CollectiveDataException>());
        var dense = new float[10];
        sums.WriteDense<float>(dense);
        Assert.That(dense, Is.EqualTo(new float[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 2 }), "the rejected batch added nothing");
    }
}
