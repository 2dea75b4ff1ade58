using Kernels.Attention;
using Kernels.Collectives;
using Kernels.Tests.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>Bad arguments to ring and Ulysses attention throw on the calling rank before anything is sent.</summary>
[NonParallelizable]
public class ShardedAttentionBadInputTests
{
    private static readonly AttentionShape Local = new(1, 8, 8, 4, 2, 16);

    /// <summary>Every rank passes the same bad argument: each must throw at once (no rank waits for a peer).</summary>
    private static void ExpectOnEveryRank<TException>(int ranks, Action<Communicator> call, string parameter)
        where TException : ArgumentException
    {
        using var job = new TestJob(ranks, TestJob.Small(timeoutMs: 60_000));
        Exception?[] failures = RankThreads.Run(job.Ranks, call, TimeSpan.FromSeconds(20));
        for (int rank = 0; rank < ranks; rank++)
        {
            Assert.That(failures[rank], Is.InstanceOf<TException>(), $"rank {rank}");
            Assert.That(((ArgumentException)failures[rank]!).ParamName, Is.EqualTo(parameter), $"rank {rank}");
        }
    }

    private static void Ring(Communicator c, AttentionShape shape, AttentionOptions? options = null, int qLength = -1, SequenceLayout layout = SequenceLayout.Zigzag)
    {
        var q = new float[qLength < 0 ? shape.QueryLength : qLength];
        RingAttention.Forward<float>(c, q, new float[shape.KeyLength], new float[shape.ValueLength], new float[shape.OutputLength],
            new float[shape.RowCount], shape, layout, options);
    }

    [Test]
    public void RingRejectsSlidingWindow() =>
        ExpectOnEveryRank<ArgumentException>(2, c => Ring(c, Local, new AttentionOptions { WindowLeft = 4 }), "options");

    [Test]
    public void RingRejectsSeqNotDividingIntoZigzagChunks() =>
        ExpectOnEveryRank<ArgumentException>(2, c => Ring(c, Local with { SeqQ = 7, SeqK = 7 }), "localShape");

    [Test]
    public void RingRejectsDifferentQueryAndKeyShards() =>
        ExpectOnEveryRank<ArgumentException>(2, c => Ring(c, Local with { SeqK = 4 }), "localShape");

    [Test]
    public void RingRejectsWrongLength() =>
        ExpectOnEveryRank<ArgumentException>(2, c => Ring(c, Local, qLength: 5), "q");

    [Test]
    public void RingRejectsInvalidShape() =>
        ExpectOnEveryRank<ArgumentOutOfRangeException>(2, c => Ring(c, Local with { HeadDim = 0 }), "localShape");

    [Test]
    public void RingRejectsUndefinedLayout() =>
        ExpectOnEveryRank<ArgumentOutOfRangeException>(2, c => Ring(c, Local, layout: (SequenceLayout)7), "layout");

    [Test]
    public void UlyssesRejectsHeadsNotDividingByWorldSize() =>
        ExpectOnEveryRank<ArgumentException>(3, c =>
        {
            AttentionShape s = Local;
            UlyssesAttention.Forward<float>(c, new float[s.QueryLength], new float[s.KeyLength], new float[s.ValueLength],
                new float[s.OutputLength], new float[s.RowCount], s, SequenceLayout.Contiguous);
        }, "localShape");

    [Test]
    public void ShardingRejectsSequenceNotDividingIntoChunks() =>
        Assert.That(() => SequenceShards.Shard<float>(new float[10], new float[5], SequenceLayout.Zigzag, 0, 2, 1, 10, 1),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("seq"));

    [Test]
    public void ShardAndUnshardRoundTrip([Values] SequenceLayout layout)
    {
        float[] full = Enumerable.Range(0, 2 * 12 * 3).Select(i => (float)i).ToArray();
        var back = new float[full.Length];
        for (int rank = 0; rank < 3; rank++)
        {
            var shard = new float[full.Length / 3];
            SequenceShards.Shard<float>(full, shard, layout, rank, 3, 2, 12, 3);
            SequenceShards.Unshard<float>(shard, back, layout, rank, 3, 2, 12, 3);
        }
        Assert.That(back, Is.EqualTo(full));
        // Zigzag rank 0 of 3 holds chunks 0 and 5 of 6 (2 positions each): positions 0, 1, 10, 11.
        Assert.That(Enumerable.Range(0, 4).Select(i => SequenceShards.GlobalPosition(SequenceLayout.Zigzag, 0, 3, 4, i)),
            Is.EqualTo(new[] { 0, 1, 10, 11 }));
    }
}
