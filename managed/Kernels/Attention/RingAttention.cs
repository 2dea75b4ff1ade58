using System.Diagnostics;
using Kernels.Collectives;
using Kernels.Execution;

namespace Kernels.Attention;

/// <summary>
/// Ring attention (Liu et al. 2023) over a <see cref="Communicator"/>: q, k and v are sharded along the sequence
/// (<see cref="SequenceShards"/>), each rank keeps its queries and the K/V blocks travel around the ring. At each of the
/// P steps a rank computes its queries against the block it holds while the communicator's worker thread passes that
/// block to the next rank and receives the previous rank's; the partial (O, lse) are merged with
/// <see cref="AttentionMerge"/>. The result equals single-rank <see cref="FlashAttention"/> on the whole sequence.
/// </summary>
/// <remarks>
/// <para><b>Shapes.</b> Every rank passes its local tensors and the same <c>localShape</c>: SeqQ = SeqK = this rank's
/// positions (the whole sequence / P), a multiple of the layout's chunks per rank. GQA/MQA, a separate value head
/// dimension, a custom scale and softcap are supported; sliding windows are not. With <c>Causal</c> the mask is that
/// of the whole sequence (query i sees key j &lt;= i); use <see cref="SequenceLayout.Zigzag"/> so that every rank has the
/// same work. Chunks of a pair are either fully visible, the causal diagonal, or skipped.</para>
/// <para><b>Numerics.</b> Each (query chunk, key chunk) pair is one FlashAttention call with an fp32 output, merged
/// into an fp32 accumulator in ring-step order; the forward result is rounded to the element type once. The merge order
/// differs from the single-rank call's tile order, so results differ from it by fp32 rounding (about 1e-6 relative), plus
/// at most one rounding step of the storage type. The backward's per-pair gradients are rounded to the element type
/// before they are summed in fp32 (a few ulps of it in bf16/f16). The order is fixed by rank and world size, so results
/// are bitwise identical from run to run.</para>
/// <para><b>Failures.</b> Arguments are checked before anything is sent; a rank whose arguments are wrong throws at once and
/// its peers time out on the communicator's deadline (or get a mismatch if the sizes differ).</para>
/// </remarks>
public static class RingAttention
{
    /// <summary>Computes this rank's shard of the attention output and log-sum-exp.</summary>
    /// <param name="communicator">The ring; every rank calls with the same shape, layout and options.</param>
    /// <param name="q">Local queries, (Batch, SeqQ, Heads, HeadDim) of <paramref name="localShape"/>.</param>
    /// <param name="k">Local keys, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="v">Local values, (Batch, SeqK, KvHeads, ValueHeadDim).</param>
    /// <param name="o">Receives the local output rows, (Batch, SeqQ, Heads, ValueHeadDim).</param>
    /// <param name="lse">Receives the local log-sum-exp, (Batch, SeqQ, Heads).</param>
    /// <param name="localShape">This rank's sizes; SeqQ = SeqK.</param>
    /// <param name="layout">How the sequence was sharded.</param>
    /// <param name="options">Scale, causal mask, softcap; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <param name="timings">Receives compute and step times, or null.</param>
    /// <exception cref="ArgumentException">A length disagrees with <paramref name="localShape"/>, SeqQ differs from SeqK or is
    /// not a multiple of the layout's chunks, the shape or options are invalid, or a window is set. Nothing is sent.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Forward<T>(Communicator communicator, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        Span<T> o, Span<float> lse, AttentionShape localShape, SequenceLayout layout, AttentionOptions? options = null,
        RingTimings? timings = null)
        where T : unmanaged
    {
        ElementTypes.Of<T>();
        ShardPlan plan = ShardPlan.Create(communicator, localShape, layout, options ?? AttentionOptions.Default, allowWindow: false);
        LocalShardLengths.CheckForward(localShape, q.Length, k.Length, v.Length, o.Length, lse.Length);

        AttentionShape chunk = plan.Chunk;
        int keyLength = (int)localShape.KeyLength, size = plan.Size, chunks = plan.ChunksPerRank;
        int heads = localShape.Heads, kvHeads = localShape.KvHeads, dim = localShape.HeadDim, valueDim = localShape.ValueHeadDim;
        // The travelling block is [k | v] in one array, so each hop is one message.
        T[] current = new T[keyLength + localShape.ValueLength], next = new T[current.Length];
        k.CopyTo(current);
        v.CopyTo(current.AsSpan(keyLength));

        var accumulatedO = new float[chunks][];
        var accumulatedLse = new float[chunks][];
        float[] partialO = new float[chunk.OutputLength], partialLse = new float[chunk.RowCount];
        AttentionStrides qStrides = plan.ChunkStrides(heads, dim), kStrides = plan.ChunkStrides(kvHeads, dim);
        AttentionStrides vStrides = plan.ChunkStrides(kvHeads, valueDim);

        for (int step = 0; step < size; step++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            int owner = (plan.Rank - step + size) % size;
            Task? exchange = step < size - 1 ? RingExchange.Start(communicator, current, next) : null;
            for (int qc = 0; qc < chunks; qc++)
            {
                for (int kc = 0; kc < chunks; kc++)
                {
                    ChunkVisibility visibility = plan.Visibility(qc, owner, kc);
                    if (visibility == ChunkVisibility.Hidden)
                    {
                        continue;
                    }
                    FloatPartialForward.Run<T>(q[plan.ChunkOffset(qc, heads * dim)..], qStrides,
                        current.AsSpan(plan.ChunkOffset(kc, kvHeads * dim)), kStrides,
                        current.AsSpan(keyLength + plan.ChunkOffset(kc, kvHeads * valueDim)), vStrides,
                        partialO, partialLse, chunk, plan.OptionsFor(visibility));
                    if (accumulatedO[qc] is null)
                    {
                        accumulatedO[qc] = (float[])partialO.Clone();
                        accumulatedLse[qc] = (float[])partialLse.Clone();
                    }
                    else
                    {
                        AttentionMerge.Merge<float>(accumulatedO[qc], accumulatedLse[qc], partialO, partialLse,
                            accumulatedO[qc], accumulatedLse[qc], valueDim);
                    }
                }
            }
            long computeEnd = Stopwatch.GetTimestamp();
            RingExchange.Complete(exchange);
            (current, next) = (next, current);
            timings?.Add(computeEnd - stepStart, Stopwatch.GetTimestamp() - stepStart);
        }

        for (int qc = 0; qc < chunks; qc++)
        {
            // Every query chunk sees at least its own diagonal, at step 0.
            plan.CopyChunk<float, T>(accumulatedO[qc], o, qc, heads * valueDim, intoLocal: true);
            plan.CopyChunk<float, float>(accumulatedLse[qc], lse, qc, heads, intoLocal: true);
        }
    }

    /// <summary>
    /// Gradients of this rank's shard, given the forward's local output and log-sum-exp: K/V blocks travel the ring as in
    /// the forward, each followed one step behind by its fp32 dK/dV accumulator, which after P hops is back with its owner.
    /// </summary>
    /// <remarks>
    /// The K/V hop of step s overlaps the compute of step s; the dK/dV hop of step s overlaps the compute of step s + 1.
    /// dQ is summed locally in fp32. Each rank adds its contribution to a travelling dK/dV in ring order, so the sums'
    /// order is fixed and results are bitwise identical from run to run.
    /// </remarks>
    /// <param name="communicator">The ring of the forward call.</param>
    /// <param name="q">Local queries.</param>
    /// <param name="k">Local keys.</param>
    /// <param name="v">Local values.</param>
    /// <param name="o">The local output of <see cref="Forward{T}"/>.</param>
    /// <param name="lse">The local log-sum-exp of <see cref="Forward{T}"/>.</param>
    /// <param name="dO">Gradient of the loss with respect to the local output.</param>
    /// <param name="dq">Receives the local query gradient.</param>
    /// <param name="dk">Receives the gradient for the local keys (summed over every rank's queries).</param>
    /// <param name="dv">Receives the gradient for the local values.</param>
    /// <param name="localShape">Sizes of the forward call.</param>
    /// <param name="layout">Layout of the forward call.</param>
    /// <param name="options">Options of the forward call.</param>
    /// <param name="timings">Receives compute and step times, or null.</param>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}"/>, for every span. Nothing is sent.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Backward<T>(Communicator communicator, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<T> o, ReadOnlySpan<float> lse, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv,
        AttentionShape localShape, SequenceLayout layout, AttentionOptions? options = null, RingTimings? timings = null)
        where T : unmanaged
    {
        ElementTypes.Of<T>();
        ShardPlan plan = ShardPlan.Create(communicator, localShape, layout, options ?? AttentionOptions.Default, allowWindow: false);
        LocalShardLengths.CheckBackward(localShape, q.Length, k.Length, v.Length, o.Length, lse.Length, dO.Length, dq.Length,
            dk.Length, dv.Length);

        AttentionShape chunk = plan.Chunk;
        int keyLength = (int)localShape.KeyLength, size = plan.Size, chunks = plan.ChunksPerRank;
        int heads = localShape.Heads, kvHeads = localShape.KvHeads, dim = localShape.HeadDim, valueDim = localShape.ValueHeadDim;
        T[] current = new T[keyLength + localShape.ValueLength], next = new T[current.Length];
        k.CopyTo(current);
        v.CopyTo(current.AsSpan(keyLength));
        float[] gradient = new float[current.Length], nextGradient = new float[current.Length], contribution = new float[current.Length];
        float[] dqSum = new float[localShape.QueryLength];

        var chunkLse = new float[chunks][];
        for (int qc = 0; qc < chunks; qc++)
        {
            chunkLse[qc] = new float[chunk.RowCount];
            plan.CopyChunk<float, float>(lse, chunkLse[qc], qc, heads, intoLocal: false);
        }
        // Per-pair gradients land at their chunk's rows of local-shaped scratch tensors (they share q's and k's strides).
        T[] pairDq = new T[localShape.QueryLength], pairDk = new T[keyLength], pairDv = new T[localShape.ValueLength];
        float[] widened = new float[Math.Max(localShape.QueryLength, Math.Max(localShape.KeyLength, localShape.ValueLength))];
        AttentionStrides qStrides = plan.ChunkStrides(heads, dim), kStrides = plan.ChunkStrides(kvHeads, dim);
        AttentionStrides vStrides = plan.ChunkStrides(kvHeads, valueDim), oStrides = plan.ChunkStrides(heads, valueDim);

        Task? gradientExchange = null;
        for (int step = 0; step < size; step++)
        {
            long stepStart = Stopwatch.GetTimestamp();
            int owner = (plan.Rank - step + size) % size;
            Task? blockExchange = step < size - 1 ? RingExchange.Start(communicator, current, next) : null;
            Array.Clear(contribution);
            for (int qc = 0; qc < chunks; qc++)
            {
                for (int kc = 0; kc < chunks; kc++)
                {
                    ChunkVisibility visibility = plan.Visibility(qc, owner, kc);
                    if (visibility == ChunkVisibility.Hidden)
                    {
                        continue;
                    }
                    int qOffset = plan.ChunkOffset(qc, heads * dim), oOffset = plan.ChunkOffset(qc, heads * valueDim);
                    int kOffset = plan.ChunkOffset(kc, kvHeads * dim), vOffset = plan.ChunkOffset(kc, kvHeads * valueDim);
                    FlashAttention.Backward<T>(q[qOffset..], qStrides, current.AsSpan(kOffset), kStrides,
                        current.AsSpan(keyLength + vOffset), vStrides, o[oOffset..], oStrides, chunkLse[qc], dO[oOffset..],
                        pairDq.AsSpan(qOffset), pairDk.AsSpan(kOffset), pairDv.AsSpan(vOffset), chunk, plan.OptionsFor(visibility));
                    AddChunk(plan, dqSum, pairDq, qc, heads * dim, widened);
                    AddChunk(plan, contribution, pairDk, kc, kvHeads * dim, widened);
                    AddChunk(plan, contribution.AsSpan(keyLength), pairDv, kc, kvHeads * valueDim, widened);
                }
            }
            long computeEnd = Stopwatch.GetTimestamp();
            // The block's dK/dV so far arrives from the previous rank (step 0: this rank's own block, still zero).
            RingExchange.Complete(gradientExchange);
            FloatAccumulation.Add(gradient, contribution);
            if (size > 1)
            {
                gradientExchange = RingExchange.Start(communicator, gradient, nextGradient);
                (gradient, nextGradient) = (nextGradient, gradient);
            }
            RingExchange.Complete(blockExchange);
            (current, next) = (next, current);
            timings?.Add(computeEnd - stepStart, Stopwatch.GetTimestamp() - stepStart);
        }
        // The last hop brings this rank's own block's gradient home.
        RingExchange.Complete(gradientExchange);
        Conversion.Convert<float, T>(dqSum, dq);
        Conversion.Convert<float, T>(gradient.AsSpan(0, keyLength), dk);
        Conversion.Convert<float, T>(gradient.AsSpan(keyLength), dv);
    }

    /// <summary>Adds the rows of local chunk <paramref name="chunk"/> of <paramref name="pair"/> into <paramref name="sum"/>, in fp32.</summary>
    private static void AddChunk<T>(ShardPlan plan, Span<float> sum, ReadOnlySpan<T> pair, int chunk, int rowElements, Span<float> scratch)
        where T : unmanaged
    {
        int length = plan.ChunkLength * rowElements;
        for (int b = 0; b < plan.Local.Batch; b++)
        {
            int offset = (b * plan.Local.SeqQ + chunk * plan.ChunkLength) * rowElements;
            FloatAccumulation.Add(sum.Slice(offset, length), pair.Slice(offset, length), scratch);
        }
    }
}
