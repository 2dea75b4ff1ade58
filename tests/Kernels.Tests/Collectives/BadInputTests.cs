using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// Every bad-input rule: a clear exception before anything is sent (the peer, which does not call, is unaffected and
/// the next collective matches normally) and the caller's output untouched.
/// </summary>
[TestFixture]
public class BadInputTests
{
    private const float Sentinel = 42f;

    /// <summary>An element of 8 KiB: more than the 4 KiB staging slot of <see cref="TestJob.Small"/>.</summary>
    [System.Runtime.CompilerServices.InlineArray(2048)]
    private struct Page
    {
        private float _first;
    }

    /// <summary>The output array the last case built; checked after the call threw.</summary>
    private static float[]? s_output;

    private static float[] Sentinels(int count) => s_output = Enumerable.Repeat(Sentinel, count).ToArray();

    private static TestCaseData Case(string name, Type exception, Action<Communicator> call) =>
        new TestCaseData(exception, call).SetArgDisplayNames(name);

    private static IEnumerable<TestCaseData> Rules()
    {
        yield return Case("AllReduce lengths differ", typeof(ArgumentException), c => { var o = Sentinels(3); c.AllReduce<float>(new float[4], o, ReduceOp.Sum); });
        yield return Case("AllReduce partial overlap", typeof(ArgumentException), c => { var o = Sentinels(8); c.AllReduce<float>(o.AsSpan(0, 4), o.AsSpan(2, 4), ReduceOp.Sum); });
        yield return Case("AllReduce undefined op", typeof(ArgumentException), c => { var o = Sentinels(3); c.AllReduce<float>(o, (ReduceOp)99); });
        yield return Case("AllReduce of double", typeof(NotSupportedException), c => { c.AllReduce<double>(new double[3], ReduceOp.Sum); });
        yield return Case("AllReduce of int", typeof(NotSupportedException), c => { c.AllReduce<int>(new int[3], ReduceOp.Max); });
        yield return Case("AllReduceAsync lengths differ", typeof(ArgumentException), c => { var o = Sentinels(3); _ = c.AllReduceAsync<float>(new float[4], o, ReduceOp.Sum); });
        yield return Case("AllReduce null buffer", typeof(ArgumentNullException), c => { c.AllReduce<float>((CommunicatorBuffer<float>)null!, ReduceOp.Sum); });
        yield return Case("ReduceScatter short output", typeof(ArgumentException), c => { var o = Sentinels(2); c.ReduceScatter<float>(new float[7], o, ReduceOp.Sum); });
        yield return Case("ReduceScatter overlap", typeof(ArgumentException), c => { var o = Sentinels(8); c.ReduceScatter<float>(o.AsSpan(0, 8), o.AsSpan(0, 4), ReduceOp.Sum); });
        yield return Case("ReduceScatter undefined op", typeof(ArgumentException), c => { var o = Sentinels(4); c.ReduceScatter<float>(new float[8], o, (ReduceOp)(-1)); });
        yield return Case("AllGather short output", typeof(ArgumentException), c => { var o = Sentinels(5); c.AllGather<float>(new float[3], o); });
        yield return Case("AllGatherV counts length", typeof(ArgumentException), c => { var o = Sentinels(3); c.AllGatherV<float>(new float[1], o, [1, 1, 1]); });
        yield return Case("AllGatherV negative count", typeof(ArgumentOutOfRangeException), c => { var o = Sentinels(3); c.AllGatherV<float>(new float[4], o, [4, -1]); });
        yield return Case("AllGatherV input vs counts", typeof(ArgumentException), c => { var o = Sentinels(3); c.AllGatherV<float>(new float[2], o, [1, 2]); });
        yield return Case("AllGatherV output vs counts", typeof(ArgumentException), c => { var o = Sentinels(4); c.AllGatherV<float>(new float[1], o, [1, 2]); });
        yield return Case("Broadcast root -1", typeof(ArgumentOutOfRangeException), c => { var o = Sentinels(3); c.Broadcast<float>(o, -1); });
        yield return Case("Broadcast root = size", typeof(ArgumentOutOfRangeException), c => { var o = Sentinels(3); c.Broadcast<float>(o, 2); });
        yield return Case("Send to self", typeof(ArgumentException), c => { c.Send<float>(new float[3], c.Rank); });
        yield return Case("Send to no rank", typeof(ArgumentOutOfRangeException), c => { c.Send<float>(new float[3], 5); });
        yield return Case("Recv from -1", typeof(ArgumentOutOfRangeException), c => { var o = Sentinels(3); c.Recv<float>(o, -1); });
        yield return Case("AllocateBuffer negative", typeof(ArgumentOutOfRangeException), c => { c.AllocateBuffer<float>(-1); });
        yield return Case("ShardOf negative count", typeof(ArgumentOutOfRangeException), c => { c.ShardOf(-1, 0); });
        yield return Case("ShardOf no such rank", typeof(ArgumentOutOfRangeException), c => { c.ShardOf(4, 2); });
        yield return Case("element larger than a slot", typeof(ArgumentException), c => { c.AllGather<Page>(new Page[1], new Page[2]); });
        yield return Case("Send of elements larger than a slot", typeof(ArgumentException), c => { c.Send<Page>(new Page[1], 1); });
        yield return Case("disposed buffer", typeof(ObjectDisposedException), c =>
        {
            CommunicatorBuffer<float> buffer = c.AllocateBuffer<float>(3);
            buffer.Dispose();
            c.AllReduce(buffer, ReduceOp.Sum);
        });
    }

    [TestCaseSource(nameof(Rules)), CancelAfter(30_000)]
    public void Is_rejected_before_anything_is_sent(Type exception, Action<Communicator> call)
    {
        using var job = new TestJob(2, TestJob.Small(timeoutMs: 10_000));
        s_output = null;
        Assert.That(() => call(job.Ranks[0]), Throws.TypeOf(exception));
        if (s_output is not null)
        {
            Assert.That(s_output, Is.All.EqualTo(Sentinel), "the output was written");
        }
        var results = new float[2][];
        job.Run(comm =>
        {
            var data = new float[] { comm.Rank + 1 };
            comm.AllReduce<float>(data, ReduceOp.Sum);
            results[comm.Rank] = data;
        });
        Assert.That(results, Is.All.EqualTo(new float[] { 3 }), "the rejected call must not have consumed a collective");
    }

    [Test]
    public void A_buffer_of_another_communicator_is_rejected()
    {
        using var job = new TestJob(2, TestJob.Small());
        using CommunicatorBuffer<float> foreign = job.Ranks[1].AllocateBuffer<float>(4);
        Assert.That(() => job.Ranks[0].AllReduce(foreign, ReduceOp.Sum), Throws.ArgumentException.With.Message.Contains("another communicator"));
    }

    [Test]
    public void A_disposed_communicator_rejects_every_call()
    {
        using var job = new TestJob(2, TestJob.Small());
        Communicator comm = job.Ranks[0];
        CommunicatorBuffer<float> buffer = comm.AllocateBuffer<float>(4);
        comm.Dispose();
        comm.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(() => comm.AllReduce<float>(new float[1], ReduceOp.Sum), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.AllReduceAsync(new float[1].AsMemory(), ReduceOp.Sum), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.ReduceScatter<float>(new float[2], new float[1], ReduceOp.Sum), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.AllGather<float>(new float[1], new float[2]), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.Broadcast<float>(new float[1], 0), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.Barrier(), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.Send<float>(new float[1], 1), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.AllocateBuffer<float>(1), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => buffer.Span.Length, Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => comm.AllReduce(buffer, ReduceOp.Sum), Throws.TypeOf<ObjectDisposedException>());
        });
        buffer.Dispose();
    }

    [Test]
    public void Job_and_option_limits_are_checked()
    {
        Assert.That(() => Communicator.CreateInProcess(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Communicator.CreateInProcess(Communicator.MaxSize + 1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Communicator.CreateInProcess(2, new CommunicatorOptions { StagingSlotBytes = 100 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Communicator.CreateInProcess(2, new CommunicatorOptions { Timeout = TimeSpan.Zero }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Communicator.CreateInProcess(2, new CommunicatorOptions { BufferHeapBytes = -1 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Communicator.CreateInProcess(2, new CommunicatorOptions { Algorithm = (CollectiveAlgorithm)9 }), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void The_buffer_heap_reports_exhaustion_and_reuses_freed_space()
    {
        using var job = new TestJob(1, new CommunicatorOptions { BufferHeapBytes = 16 * 4096 });
        Communicator comm = job.Ranks[0];
        CommunicatorBuffer<float>[] buffers = Enumerable.Range(0, 16).Select(_ => comm.AllocateBuffer<float>(1024)).ToArray();
        Assert.That(() => comm.AllocateBuffer<float>(1), Throws.TypeOf<OutOfMemoryException>());
        buffers[3].Dispose();
        buffers[4].Dispose();
        buffers[5].Dispose();
        CommunicatorBuffer<float> merged = comm.AllocateBuffer<float>(3 * 1024); // three freed neighbours merged
        Assert.That(merged.Length, Is.EqualTo(3 * 1024));
        merged.Dispose();
        foreach (CommunicatorBuffer<float> buffer in buffers)
        {
            buffer.Dispose();
        }
        using CommunicatorBuffer<float> whole = comm.AllocateBuffer<float>(16 * 1024); // everything merged back
        Assert.That(whole.Span.Length, Is.EqualTo(16 * 1024));
    }
}
