using Kernels.Collectives;
using Kernels.Compression;
using Kernels.Tests.Collectives;
using NUnit.Framework;
using static Kernels.Tests.Compression.AllReduceCases;

namespace Kernels.Tests.Compression;

/// <summary>Failed, rejected and canceled steps leave every residual and counter exactly as before; the async form matches the sync one.</summary>
[TestFixture]
public class CompressedAllReduceFailureTests
{
    [Test, CancelAfter(60_000)]
    public void A_rank_that_disposes_mid_step_leaves_every_survivors_state_as_it_was([Values] AllReduceProtocol protocol, [Values(0, 1)] int failingStep)
    {
        using var job = new TestJob(3, TestJob.Small(timeoutMs: 20_000));
        var before = new byte[3][];
        var after = new byte[3][];
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
        {
            CompressedAllReduce allReduce = Create(comm, protocol);
            for (int step = 0; step < failingStep; step++) Run(allReduce, protocol, comm.Rank, step);
            if (comm.Rank == 2)
            {
                // The others are inside the failing step by now (compressed, residuals updated, waiting on this rank); at step 0 their
                // state must go back to "never stepped".
                Thread.Sleep(300);
                comm.Dispose();
                return;
            }
            before[comm.Rank] = Saved(allReduce);
            try
            {
                Run(allReduce, protocol, comm.Rank, failingStep);
            }
            finally
            {
                after[comm.Rank] = Saved(allReduce);
            }
        });
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.That(failures[rank], Is.InstanceOf<CollectiveException>(), $"rank {rank}: {failures[rank]}");
            Assert.That(after[rank], Is.EqualTo(before[rank]), $"rank {rank}: the state changed");
        }
        Assert.That(failures[2], Is.Null);
    }

    [Test, CancelAfter(60_000)]
    public void A_non_finite_gradient_is_rejected_on_every_rank_with_no_state_changed_and_the_job_goes_on([Values] AllReduceProtocol protocol)
    {
        using var job = new TestJob(3, TestJob.Small());
        job.Run(comm =>
        {
            CompressedAllReduce allReduce = Create(comm, protocol, rejectNonFinite: true);
            Run(allReduce, protocol, comm.Rank, 0);
            byte[] before = Saved(allReduce);
            float[] gradient = Gradient(protocol, comm.Rank, 1);
            if (comm.Rank == 1) gradient[5] = float.NaN;
            var average = new float[gradient.Length];
            var rejected = Assert.Throws<NonFiniteGradientException>(() => allReduce.Run(gradient, average, Shape(protocol)))!;
            Assert.That(rejected.Ranks, Is.EqualTo(new[] { 1 }));
            Assert.That(rejected.Message, Does.Contain(comm.Rank == 1 ? "index 5" : "rank(s) 1"));
            Assert.That(Saved(allReduce), Is.EqualTo(before));
            Assert.That(average, Is.All.Zero, "the output is untouched");
            CompressionReport report = Run(allReduce, protocol, comm.Rank, 2);
            Assert.That(report.BytesSent, Is.GreaterThan(0));
        });
    }

    [Test, CancelAfter(60_000)]
    public void Without_the_reject_option_a_non_finite_gradient_stays_at_its_own_element([Values] AllReduceProtocol protocol)
    {
        // Documented: non-finite values propagate as each compressor documents (top-k sends them, 1-bit's scales skip them, PowerSGD
        // sends that step dense), and never reach another element's output or residual.
        const int poisoned = 5;
        using var job = new TestJob(3, TestJob.Small());
        var outputs = new float[3][][];
        job.Run(comm =>
        {
            CompressedAllReduce allReduce = Create(comm, protocol);
            outputs[comm.Rank] = new float[3][];
            for (int step = 0; step < 3; step++)
            {
                float[] gradient = Gradient(protocol, comm.Rank, step);
                if (comm.Rank == 1 && step == 0) gradient[poisoned] = float.PositiveInfinity;
                if (comm.Rank == 2 && step == 1) gradient[poisoned] = float.NaN;
                outputs[comm.Rank][step] = new float[gradient.Length];
                allReduce.Run(gradient, outputs[comm.Rank][step], Shape(protocol));
            }
        });
        for (int step = 0; step < 3; step++)
        {
            for (int rank = 1; rank < 3; rank++) Assert.That(outputs[rank][step], Is.EqualTo(outputs[0][step]), $"rank {rank} step {step}");
            for (int i = 0; i < outputs[0][step].Length; i++)
            {
                if (i != poisoned) Assert.That(float.IsFinite(outputs[0][step][i]), $"step {step}: element {i} is {outputs[0][step][i]}");
            }
        }
    }

    [Test, CancelAfter(60_000)]
    public void A_shape_change_between_steps_is_refused_on_every_rank_with_no_state_changed([Values] AllReduceProtocol protocol)
    {
        MatrixShape changed = protocol == AllReduceProtocol.PowerSgd ? new MatrixShape(Cols, Rows) : MatrixShape.Vector((int)Shape(protocol).Length - 1);
        using var job = new TestJob(2, TestJob.Small());
        job.Run(comm =>
        {
            CompressedAllReduce allReduce = Create(comm, protocol);
            Run(allReduce, protocol, comm.Rank, 0);
            byte[] before = Saved(allReduce);
            var gradient = new float[changed.Length];
            Assert.That(() => allReduce.Run(gradient, gradient, changed),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("shape"));
            Assert.That(Saved(allReduce), Is.EqualTo(before));
            Assert.That(Run(allReduce, protocol, comm.Rank, 1).BytesSent, Is.GreaterThan(0), "the job goes on with the bound shape");
        });
    }

    [Test, CancelAfter(60_000)]
    public void The_async_form_gives_the_sync_bits([Values] AllReduceProtocol protocol)
    {
        var sync = new float[2][];
        using (var job = new TestJob(2, TestJob.Small()))
        {
            job.Run(comm => sync[comm.Rank] = Run(Create(comm, protocol), protocol, comm.Rank, 0, keep: true).Average!);
        }
        using (var job = new TestJob(2, TestJob.Small()))
        {
            job.Run(comm =>
            {
                float[] gradient = Gradient(protocol, comm.Rank, 0);
                var average = new float[gradient.Length];
                CompressionReport report = Create(comm, protocol).RunAsync(gradient, average, Shape(protocol)).AsTask().GetAwaiter().GetResult();
                Assert.That(average, Is.EqualTo(sync[comm.Rank]));
                Assert.That(report.BytesSent, Is.GreaterThan(0));
            });
        }
    }

    [Test, CancelAfter(30_000)]
    public void A_step_canceled_before_it_starts_sends_nothing_and_changes_nothing()
    {
        using var job = new TestJob(1, TestJob.Small());
        CompressedAllReduce allReduce = Create(job.Ranks[0], AllReduceProtocol.OneBit);
        byte[] before = Saved(allReduce);
        float[] gradient = Gradient(AllReduceProtocol.OneBit, 0, 0);
        Assert.That(async () => await allReduce.RunAsync(gradient, new float[gradient.Length], Shape(AllReduceProtocol.OneBit), new CancellationToken(true)),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Saved(allReduce), Is.EqualTo(before));
    }

    [Test]
    public void Bad_arguments_throw_before_anything_is_sent()
    {
        using var job = new TestJob(2, TestJob.Small());
        Communicator comm = job.Ranks[0];
        var topK = new CompressedAllReduce(comm, new TopK(10), ErrorFeedback.Ef14());
        Assert.That(() => topK.Run(new float[5]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("k"));
        Assert.That(() => topK.Run(new float[20], new float[19], MatrixShape.Vector(20)), Throws.ArgumentException.With.Property("ParamName").EqualTo("average"));
        var buffer = new float[40];
        Assert.That(() => topK.Run(buffer.AsSpan(0, 20), buffer.AsSpan(10, 20), MatrixShape.Vector(20)),
            Throws.ArgumentException.With.Message.Contains("partially"));
        var powerSgd = new CompressedAllReduce(comm, new PowerSgd(5), ErrorFeedback.Ef14());
        Assert.That(() => powerSgd.Run(new float[12], new float[12], new MatrixShape(3, 4)),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("rank"));
        Assert.That(() => new CompressedAllReduce(comm, new PowerSgd(1), ErrorFeedback.DgcMomentum(0.9f)), Throws.ArgumentException);
        Assert.That(() => new CompressedAllReduce(null!, new TopK(1), ErrorFeedback.Ef14()), Throws.ArgumentNullException);
        Assert.That(() => new OneBitAdam(comm, 10, new OneBitAdamOptions { ChunkSize = 0 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ChunkSize"));
    }

    private static CompressionReport Run(CompressedAllReduce allReduce, AllReduceProtocol protocol, int rank, int step) =>
        Run(allReduce, protocol, rank, step, keep: false).Report;

    private static (CompressionReport Report, float[]? Average) Run(CompressedAllReduce allReduce, AllReduceProtocol protocol, int rank, int step, bool keep)
    {
        float[] gradient = Gradient(protocol, rank, step);
        var average = new float[gradient.Length];
        CompressionReport report = allReduce.Run(gradient, average, Shape(protocol));
        return (report, keep ? average : null);
    }
}
