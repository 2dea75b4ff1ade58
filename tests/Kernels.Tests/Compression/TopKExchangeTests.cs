using Kernels.Collectives;
using Kernels.Compression;
using Kernels.Tests.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>
/// Top-k through the sparse all-gather and through the sparse reduce-scatter + all-gather of dense shards: the float64
/// reference of the protocol at 2..5 ranks, the same bits from both exchanges, the bytes each sends, and the Auto rule.
/// </summary>
[TestFixture]
public class TopKExchangeTests
{
    private const int Steps = 3;

    [Test, CancelAfter(60_000)]
    public void Both_exchanges_match_the_float64_reference_give_the_same_bits_and_count_their_bytes(
        [Values(2, 3, 4, 5)] int ranks, [Values(1, 97, 700)] int k)
    {
        const int length = 1025;
        float[] Gradient(int rank, int step) => Samples.Uniform<float>(length, seed: 1000 * step + 17 * rank + k);
        var outputs = new Dictionary<SparseExchange, float[][][]>();
        var bytes = new Dictionary<SparseExchange, long[][]>();
        foreach (SparseExchange exchange in new[] { SparseExchange.AllGather, SparseExchange.ReduceScatter })
        {
            var output = outputs[exchange] = new float[ranks][][];
            var sent = bytes[exchange] = new long[ranks][];
            using var job = new TestJob(ranks, TestJob.Small());
            job.Run(comm =>
            {
                var allReduce = new CompressedAllReduce(comm, new TopK(k), ErrorFeedback.Ef14(), exchange);
                output[comm.Rank] = new float[Steps][];
                sent[comm.Rank] = new long[Steps];
                for (int step = 0; step < Steps; step++)
                {
                    var average = new float[length];
                    sent[comm.Rank][step] = allReduce.Run(Gradient(comm.Rank, step), average, MatrixShape.Vector(length)).BytesSent;
                    output[comm.Rank][step] = average;
                }
            });
        }
        var reference = new TopKReference(ranks, length, k);
        for (int step = 0; step < Steps; step++)
        {
            double[] expected = reference.Step(Enumerable.Range(0, ranks).Select(r => Gradient(r, step)).ToArray());
            float[] first = outputs[SparseExchange.AllGather][0][step];
            for (int i = 0; i < length; i++)
            {
                Assert.That(first[i], Is.EqualTo(expected[i]).Within(1e-5 * Math.Max(1, expected.Max(Math.Abs))), $"step {step} element {i}");
            }
            for (int rank = 0; rank < ranks; rank++)
            {
                Assert.That(outputs[SparseExchange.AllGather][rank][step], Is.EqualTo(first), $"all-gather rank {rank} step {step}");
                Assert.That(outputs[SparseExchange.ReduceScatter][rank][step], Is.EqualTo(first), $"reduce-scatter rank {rank} step {step}");
                // Payload: the all-gather sends the header [index space, count] and k pairs to each other rank; the reduce-scatter
                // all-gathers a header of n + 1 longs, sends each pair outside its own shard once, then its dense shard to n - 1 ranks.
                (int offset, int shard) = Shards(length, ranks, rank);
                int pairsToOthers = reference.Kept[rank].Count(i => i < offset || i >= offset + shard);
                Assert.That(bytes[SparseExchange.AllGather][rank][step], Is.EqualTo((ranks - 1) * (16L + 8L * k)), $"all-gather bytes, rank {rank}");
                Assert.That(bytes[SparseExchange.ReduceScatter][rank][step],
                    Is.EqualTo((ranks - 1) * 8L * (ranks + 1) + 8L * pairsToOthers + (ranks - 1) * 4L * shard), $"reduce-scatter bytes, rank {rank}");
            }
        }
    }

    [TestCase(2, 1000, 450, false)]
    [TestCase(2, 1000, 550, true)]
    [TestCase(3, 1000, 200, false)]
    [TestCase(3, 1000, 300, true)]
    [TestCase(4, 1000, 150, false)]
    [TestCase(4, 1000, 180, true)]
    [TestCase(5, 1000, 110, false)]
    [TestCase(5, 1000, 140, true)]
    [TestCase(16, 1 << 20, 30_000, false)]
    [TestCase(16, 1 << 20, 40_000, true)]
    public void Auto_takes_the_reduce_scatter_above_density_one_over_two_n_minus_one(int ranks, int length, int k, bool reduceScatter)
    {
        Assert.That(SparseExchangeCost.PrefersReduceScatter(k, length, ranks), Is.EqualTo(reduceScatter));
    }

    [Test, CancelAfter(60_000)]
    public void Auto_runs_the_cheaper_exchange_and_reports_its_bytes()
    {
        const int ranks = 4, length = 1001;
        foreach ((int k, bool reduceScatter) in new[] { (97, false), (300, true) })
        {
            var bytes = new long[ranks];
            using var job = new TestJob(ranks, TestJob.Small());
            job.Run(comm =>
            {
                var allReduce = new CompressedAllReduce(comm, new TopK(k), ErrorFeedback.Ef14());
                bytes[comm.Rank] = allReduce.Run(Samples.Uniform<float>(length, seed: comm.Rank)).BytesSent;
            });
            long allGather = (ranks - 1) * (16L + 8L * k);
            Assert.That(bytes[0] != allGather, Is.EqualTo(reduceScatter), $"k = {k}: {bytes[0]} bytes");
            Assert.That(bytes.Max(), Is.LessThan(allGather + (reduceScatter ? 0 : 1)), $"k = {k}");
        }
    }

    [Test]
    public void An_undefined_exchange_is_rejected()
    {
        using var job = new TestJob(1, TestJob.Small());
        Assert.That(() => new CompressedAllReduce(job.Ranks[0], new TopK(1), ErrorFeedback.Ef14(), (SparseExchange)9),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("exchange"));
    }

    private static (int Offset, int Length) Shards(int length, int ranks, int rank)
    {
        int baseLength = length / ranks, remainder = length % ranks;
        return (rank * baseLength + Math.Min(rank, remainder), baseLength + (rank < remainder ? 1 : 0));
    }
}
