using Kernels.Compression;
using Kernels.Tests.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>1-bit Adam: plain Adam in warm-up, identical parameters on every rank, bit-exact save/restore, refused foreign state.</summary>
[TestFixture]
public class OneBitAdamTests
{
    private const int Ranks = 3, Length = 300;

    private static readonly OneBitAdamOptions Options = new() { LearningRate = 0.01f, WarmUpSteps = 2, ChunkSize = 64 };

    private static float[] Gradient(int rank, int step) => Samples.Uniform<float>(Length, seed: 31 * step + rank, -1f, 1f);

    private static byte[] Saved(OneBitAdam adam)
    {
        var stream = new MemoryStream();
        adam.SaveState(stream);
        return stream.ToArray();
    }

    [Test, CancelAfter(60_000)]
    public void Warm_up_is_adam_on_the_average_then_every_rank_keeps_the_same_parameters_with_far_fewer_bytes()
    {
        using var job = new TestJob(Ranks, TestJob.Small());
        var parameters = new float[Ranks][];
        var reports = new CompressionReport[Ranks][];
        job.Run(comm =>
        {
            var adam = new OneBitAdam(comm, Length, Options);
            parameters[comm.Rank] = new float[Length];
            reports[comm.Rank] = new CompressionReport[5];
            for (int step = 0; step < 5; step++)
            {
                Assert.That(adam.IsCompressing, Is.EqualTo(step >= Options.WarmUpSteps));
                reports[comm.Rank][step] = adam.Step(parameters[comm.Rank], Gradient(comm.Rank, step));
            }
        });
        for (int rank = 1; rank < Ranks; rank++) Assert.That(parameters[rank], Is.EqualTo(parameters[0]));
        Assert.That(reports[0][0].BytesSent, Is.EqualTo(reports[0][0].DenseBytes), "warm-up is dense");
        Assert.That(reports[0][4].CompressionRatio, Is.GreaterThan(5), "after warm-up: 1-bit momentum");

        // The first step is Adam's first step on the average gradient: m/(1-b1) = g and v/(1-b2) = g^2, so each parameter moves by lr * g / (|g| + eps).
        double[] average = Enumerable.Range(0, Length).Select(i => Enumerable.Range(0, Ranks).Average(r => (double)Gradient(r, 0)[i])).ToArray();
        using var single = new TestJob(1, TestJob.Small());
        var first = new float[Length];
        new OneBitAdam(single.Ranks[0], Length, Options).Step(first, average.Select(v => (float)v).ToArray());
        for (int i = 0; i < Length; i++)
        {
            Assert.That(first[i], Is.EqualTo(-0.01 * average[i] / (Math.Abs(average[i]) + 1e-8)).Within(1e-6), $"element {i}");
        }
    }

    [Test, CancelAfter(60_000)]
    public void Save_restore_continue_across_the_warm_up_boundary_is_bit_identical()
    {
        var saved = new byte[Ranks][];
        var savedParameters = new float[Ranks][];
        var uninterrupted = new float[Ranks][];
        using (var job = new TestJob(Ranks, TestJob.Small()))
        {
            job.Run(comm =>
            {
                var adam = new OneBitAdam(comm, Length, Options);
                var parameters = new float[Length];
                for (int step = 0; step < 5; step++)
                {
                    if (step == 1)
                    {
                        saved[comm.Rank] = Saved(adam);
                        savedParameters[comm.Rank] = (float[])parameters.Clone();
                    }
                    adam.Step(parameters, Gradient(comm.Rank, step));
                }
                uninterrupted[comm.Rank] = parameters;
            });
        }
        using (var job = new TestJob(Ranks, TestJob.Small()))
        {
            job.Run(comm =>
            {
                var adam = new OneBitAdam(comm, Length, Options);
                adam.RestoreState(new MemoryStream(saved[comm.Rank]));
                float[] parameters = savedParameters[comm.Rank];
                for (int step = 1; step < 5; step++) adam.Step(parameters, Gradient(comm.Rank, step));
                Assert.That(parameters, Is.EqualTo(uninterrupted[comm.Rank]), $"rank {comm.Rank}");
                Assert.That(adam.Steps, Is.EqualTo(5));
            });
        }
    }

    [Test, CancelAfter(30_000)]
    public void State_of_another_world_size_parameter_count_or_setting_is_refused_and_nothing_changes()
    {
        using var one = new TestJob(1, TestJob.Small());
        using var two = new TestJob(2, TestJob.Small());
        var target = new OneBitAdam(one.Ranks[0], Length, Options);
        target.Step(new float[Length], Gradient(0, 0));
        byte[] before = Saved(target);
        Assert.That(() => target.RestoreState(new MemoryStream(Saved(new OneBitAdam(two.Ranks[0], Length, Options)))),
            Throws.ArgumentException.With.Message.Contains("2-rank job"));
        Assert.That(() => target.RestoreState(new MemoryStream(Saved(new OneBitAdam(one.Ranks[0], Length + 1, Options)))),
            Throws.ArgumentException.With.Message.Contains("momentum"));
        Assert.That(() => target.RestoreState(new MemoryStream(Saved(new OneBitAdam(one.Ranks[0], Length, Options with { Beta1 = 0.8f })))),
            Throws.ArgumentException.With.Message.Contains("b1=0.8"));
        Assert.That(Saved(target), Is.EqualTo(before));
    }

    [Test, CancelAfter(30_000)]
    public void Elements_with_zero_variance_at_the_freeze_are_not_moved_by_one_bit_noise()
    {
        using var job = new TestJob(2, TestJob.Small());
        var parameters = new float[2][];
        job.Run(comm =>
        {
            var adam = new OneBitAdam(comm, Length, Options);
            parameters[comm.Rank] = new float[Length];
            for (int step = 0; step < 6; step++)
            {
                float[] gradient = Gradient(comm.Rank, step);
                gradient[7] = 0;  // e.g. the weight of an input that is always 0
                adam.Step(parameters[comm.Rank], gradient);
            }
        });
        Assert.That(parameters[0][7], Is.Zero, "1-bit gives every element +-scale; the masked element must ignore it");
        Assert.That(parameters[0].Count(p => p != 0), Is.EqualTo(Length - 1));
    }

    [Test]
    public void A_learning_rate_set_between_steps_scales_the_next_step_and_a_bad_one_is_refused()
    {
        using var job = new TestJob(1, TestJob.Small());
        var adam = new OneBitAdam(job.Ranks[0], Length, Options);
        Assert.That(adam.LearningRate, Is.EqualTo(Options.LearningRate));
        foreach (float bad in new[] { -1e-3f, float.NaN, float.PositiveInfinity })
        {
            Assert.That(() => adam.LearningRate = bad, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("non-negative and finite"));
        }
        Assert.That(adam.LearningRate, Is.EqualTo(Options.LearningRate), "a refused value leaves the rate as it was");

        // Steps 1 and 2 with rates 0.003 then 0: the first moves by 0.003 * g / (|g| + eps) (Adam's first step), the second not at all.
        float[] gradient = Gradient(0, 0);
        var parameters = new float[Length];
        adam.LearningRate = 0.003f;
        adam.Step(parameters, gradient);
        for (int i = 0; i < Length; i++)
        {
            Assert.That(parameters[i], Is.EqualTo(-0.003 * gradient[i] / (Math.Abs((double)gradient[i]) + 1e-8)).Within(1e-7), $"element {i}");
        }
        float[] afterFirst = (float[])parameters.Clone();
        adam.LearningRate = 0f;
        adam.Step(parameters, Gradient(0, 1));
        Assert.That(parameters, Is.EqualTo(afterFirst));
    }

    [Test]
    public void Bad_settings_and_lengths_throw()
    {
        using var job = new TestJob(1, TestJob.Small());
        Assert.That(() => new OneBitAdam(job.Ranks[0], Length, Options with { Beta2 = 1f }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new OneBitAdam(job.Ranks[0], 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        var adam = new OneBitAdam(job.Ranks[0], Length, Options);
        Assert.That(() => adam.Step(new float[Length], new float[Length - 1]), Throws.ArgumentException.With.Property("ParamName").EqualTo("gradient"));
    }
}
