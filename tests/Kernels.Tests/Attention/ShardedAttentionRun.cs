using Kernels.Attention;
using Kernels.Collectives;
using Kernels.Tests.Collectives;

namespace Kernels.Tests.Attention;

/// <summary>Which sequence-parallel algorithm a test runs.</summary>
public enum SequenceParallel
{
    Ring,
    Ulysses,
}

/// <summary>Full-sequence results of one attention problem, computed on one rank or gathered from P ranks.</summary>
internal sealed record AttentionResults<T>(T[] O, float[] Lse, T[] DQ, T[] DK, T[] DV) where T : unmanaged;

/// <summary>
/// Shards a whole-sequence problem over an in-process job, runs ring or Ulysses attention forward and backward on every
/// rank, and puts the shards back together, for comparison with single-rank <see cref="FlashAttention"/>.
/// </summary>
internal static class ShardedAttentionRun
{
    internal static AttentionResults<T> SingleRank<T>(AttentionCase c, AttentionInputs<T> x) where T : unmanaged
    {
        AttentionShape s = c.Shape;
        var r = new AttentionResults<T>(new T[s.OutputLength], new float[s.RowCount], new T[s.QueryLength], new T[s.KeyLength], new T[s.ValueLength]);
        FlashAttention.Forward<T>(x.Q, x.K, x.V, r.O, r.Lse, s, c.Options);
        FlashAttention.Backward<T>(x.Q, x.K, x.V, r.O, r.Lse, x.DO, r.DQ, r.DK, r.DV, s, c.Options);
        return r;
    }

    internal static AttentionResults<T> Sharded<T>(AttentionCase c, AttentionInputs<T> x, int ranks, SequenceParallel algorithm,
        SequenceLayout layout) where T : unmanaged
    {
        AttentionShape s = c.Shape;
        var r = new AttentionResults<T>(new T[s.OutputLength], new float[s.RowCount], new T[s.QueryLength], new T[s.KeyLength], new T[s.ValueLength]);
        AttentionShape local = s with { SeqQ = s.SeqQ / ranks, SeqK = s.SeqK / ranks };
        using var job = new TestJob(ranks, TestJob.Small());
        var gate = new object();
        job.Run(communicator =>
        {
            T[] q = Shard(x.Q, s.Heads * s.HeadDim), k = Shard(x.K, s.KvHeads * s.HeadDim), v = Shard(x.V, s.KvHeads * s.ValueHeadDim);
            T[] dO = Shard(x.DO, s.Heads * s.ValueHeadDim);
            T[] o = new T[local.OutputLength], dq = new T[local.QueryLength], dk = new T[local.KeyLength], dv = new T[local.ValueLength];
            float[] lse = new float[local.RowCount];
            if (algorithm == SequenceParallel.Ring)
            {
                RingAttention.Forward<T>(communicator, q, k, v, o, lse, local, layout, c.Options);
                RingAttention.Backward<T>(communicator, q, k, v, o, lse, dO, dq, dk, dv, local, layout, c.Options);
            }
            else
            {
                UlyssesAttention.Forward<T>(communicator, q, k, v, o, lse, local, layout, c.Options);
                UlyssesAttention.Backward<T>(communicator, q, k, v, o, lse, dO, dq, dk, dv, local, layout, c.Options);
            }
            lock (gate)
            {
                Unshard<T>(o, r.O, s.Heads * s.ValueHeadDim);
                Unshard<float>(lse, r.Lse, s.Heads);
                Unshard<T>(dq, r.DQ, s.Heads * s.HeadDim);
                Unshard<T>(dk, r.DK, s.KvHeads * s.HeadDim);
                Unshard<T>(dv, r.DV, s.KvHeads * s.ValueHeadDim);
            }

            T[] Shard(T[] full, int rowElements)
            {
                var shard = new T[full.Length / ranks];
                SequenceShards.Shard<T>(full, shard, layout, communicator.Rank, ranks, s.Batch, s.SeqQ, rowElements);
                return shard;
            }

            void Unshard<TElement>(TElement[] shard, TElement[] full, int rowElements) where TElement : unmanaged =>
                SequenceShards.Unshard<TElement>(shard, full, layout, communicator.Rank, ranks, s.Batch, s.SeqQ, rowElements);
        });
        return r;
    }
}
