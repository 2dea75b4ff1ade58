using Kernels.Collectives;
using Kernels.Compression;
using Kernels.Tests.Collectives;
using NUnit.Framework;
using static Kernels.Tests.Compression.AllReduceCases;

namespace Kernels.Tests.Compression;

/// <summary>CompressedAllReduce over 2..5 in-process ranks against a float64 model of the same protocol, and lossless settings against the dense all-reduce.</summary>
[TestFixture]
public class CompressedAllReduceTests
{
    private const int Steps = 3;

    [Test, CancelAfter(60_000)]
    public void Every_rank_gets_the_same_bits_and_the_float64_reference_of_the_protocol(
        [Values(2, 3, 4, 5)] int ranks, [Values] AllReduceProtocol protocol)
    {
        using var job = new TestJob(ranks, TestJob.Small());
        var outputs = new float[ranks][][];
        var reports = new CompressionReport[ranks][];
        job.Run(comm =>
        {
            CompressedAllReduce allReduce = Create(comm, protocol);
            outputs[comm.Rank] = new float[Steps][];
            reports[comm.Rank] = new CompressionReport[Steps];
            for (int step = 0; step < Steps; step++)
            {
                float[] gradient = Gradient(protocol, comm.Rank, step);
                var average = new float[gradient.Length];
                reports[comm.Rank][step] = allReduce.Run(gradient, average, Shape(protocol));
                outputs[comm.Rank][step] = average;
            }
        });
        CompressedAllReduceReference reference = Reference(protocol, ranks);
        double tolerance = protocol == AllReduceProtocol.PowerSgd ? 1e-4 : 1e-5;
        for (int step = 0; step < Steps; step++)
        {
            double[] expected = reference.Step(Enumerable.Range(0, ranks).Select(r => Gradient(protocol, r, step)).ToArray());
            double bound = tolerance * Math.Max(1, expected.Max(Math.Abs));
            for (int rank = 0; rank < ranks; rank++)
            {
                Assert.That(outputs[rank][step], Is.EqualTo(outputs[0][step]), $"rank {rank} step {step}: bits differ from rank 0");
            }
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.That(outputs[0][step][i], Is.EqualTo(expected[i]).Within(bound), $"step {step}, element {i}");
            }
            Assert.That(reports[0][step].BytesSent, Is.GreaterThan(0).And.LessThan(reports[0][step].DenseBytes), $"step {step}");
            Assert.That(reports[0][step].CompressionRatio, Is.GreaterThan(1));
        }
    }

    [TestCase(3, CollectiveAlgorithm.OneShot), TestCase(4, CollectiveAlgorithm.TwoShot), TestCase(5, CollectiveAlgorithm.OneShot)]
    [CancelAfter(60_000)]
    public void Top_k_keeping_everything_with_ef14_equals_the_dense_average_bit_for_bit(int ranks, CollectiveAlgorithm algorithm)
    {
        using var job = new TestJob(ranks, TestJob.Small(algorithm));
        job.Run(comm =>
        {
            var allReduce = new CompressedAllReduce(comm, new TopK(TopKLength), ErrorFeedback.Ef14());
            for (int step = 0; step < 2; step++)
            {
                float[] gradient = Gradient(AllReduceProtocol.TopK, comm.Rank, step);
                var dense = (float[])gradient.Clone();
                comm.AllReduce<float>(dense, ReduceOp.Avg);
                allReduce.Run(gradient);
                Assert.That(gradient, Is.EqualTo(dense), $"rank {comm.Rank} step {step}");
            }
        });
    }

    [TestCase(2), TestCase(5)]
    [CancelAfter(60_000)]
    public void PowerSgd_during_warm_up_with_any_feedback_equals_the_dense_average_bit_for_bit(int ranks)
    {
        using var job = new TestJob(ranks, TestJob.Small());
        job.Run(comm =>
        {
            foreach (ErrorFeedback feedback in new[] { ErrorFeedback.Ef14(), ErrorFeedback.Ef21(), ErrorFeedback.None() })
            {
                var allReduce = new CompressedAllReduce(comm, new PowerSgd(2, warmUpSteps: int.MaxValue), feedback);
                float[] gradient = Gradient(AllReduceProtocol.PowerSgd, comm.Rank, 0);
                var dense = (float[])gradient.Clone();
                comm.AllReduce<float>(dense, ReduceOp.Avg);
                var average = new float[gradient.Length];
                CompressionReport report = allReduce.Run(gradient, average, Shape(AllReduceProtocol.PowerSgd));
                Assert.That(average, Is.EqualTo(dense), $"rank {comm.Rank}");
                Assert.That(report.BytesSent, Is.EqualTo(report.DenseBytes));
            }
        });
    }

    [TestCase(40, 64), TestCase(130, 32)]
    [CancelAfter(60_000)]
    public void One_bit_on_a_vector_too_short_to_give_every_rank_a_part_still_matches_the_reference(int length, int chunk)
    {
        const int ranks = 4;
        float[] Gradient(int rank, int step) => Kernels.Tests.Support.Samples.Uniform<float>(length, seed: 100 * step + rank);
        var outputs = new float[ranks][][];
        using var job = new TestJob(ranks, TestJob.Small());
        job.Run(comm =>
        {
            var allReduce = new CompressedAllReduce(comm, new OneBit(chunk), ErrorFeedback.Ef14());
            outputs[comm.Rank] = [.. Enumerable.Range(0, 2).Select(step =>
            {
                float[] gradient = Gradient(comm.Rank, step);
                allReduce.Run(gradient);
                return gradient;
            })];
        });
        var reference = new OneBitReference(ranks, length, chunk);
        for (int step = 0; step < 2; step++)
        {
            double[] expected = reference.Step(Enumerable.Range(0, ranks).Select(r => Gradient(r, step)).ToArray());
            for (int rank = 0; rank < ranks; rank++) Assert.That(outputs[rank][step], Is.EqualTo(outputs[0][step]));
            for (int i = 0; i < length; i++) Assert.That(outputs[0][step][i], Is.EqualTo(expected[i]).Within(1e-5 * Math.Max(1, expected.Max(Math.Abs))));
        }
    }

    [Test, CancelAfter(30_000)]
    public void One_rank_returns_its_compressed_gradient_and_sends_nothing()
    {
        using var job = new TestJob(1, TestJob.Small());
        CompressedAllReduce allReduce = Create(job.Ranks[0], AllReduceProtocol.TopK);
        float[] gradient = Gradient(AllReduceProtocol.TopK, 0, 0);
        var average = new float[gradient.Length];
        CompressionReport report = allReduce.Run(gradient, average, Shape(AllReduceProtocol.TopK));
        Assert.That(report.BytesSent, Is.Zero);
        Assert.That(report.CompressionRatio, Is.EqualTo(1));
        Assert.That(average.Count(v => v != 0), Is.EqualTo(TopKK));
    }
}
