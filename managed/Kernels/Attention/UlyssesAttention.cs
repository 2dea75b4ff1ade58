using Kernels.Collectives;
using Kernels.Execution;

namespace Kernels.Attention;

/// <summary>
/// Ulysses sequence parallelism (DeepSpeed-Ulysses): re-shard q, k and v from "a sequence shard of every head" to "the
/// whole sequence of Heads / P heads", run <see cref="FlashAttention"/> locally, and re-shard the result back. Unlike
/// <see cref="RingAttention"/> the local call sees the whole sequence, so every <see cref="AttentionOptions"/> works
/// (windows included) and the result is that of single-rank attention on each head, bit for bit when the local call
/// takes the same path.
/// </summary>
/// <remarks>
/// <para>The re-sharding is built from <see cref="Communicator.AllToAll{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>: each
/// rank sends each peer only that peer's head slice of its positions, so every byte crosses once. The forward runs one
/// all-to-all in (q, k and v together) and two out (o, and the fp32 log-sum-exp); the backward two in (q, k, v, o and dO
/// together, and the log-sum-exp) and one out (dq, dk and dv together).</para>
/// <para>Heads and KvHeads must both be multiples of the world size; query head slice p then reads exactly kv head slice p.</para>
/// </remarks>
public static class UlyssesAttention
{
    /// <summary>Computes this rank's shard of the attention output and log-sum-exp.</summary>
    /// <param name="communicator">The group; every rank calls with the same shape, layout and options.</param>
    /// <param name="q">Local queries, (Batch, SeqQ, Heads, HeadDim) of <paramref name="localShape"/>.</param>
    /// <param name="k">Local keys, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="v">Local values, (Batch, SeqK, KvHeads, ValueHeadDim).</param>
    /// <param name="o">Receives the local output rows.</param>
    /// <param name="lse">Receives the local log-sum-exp, (Batch, SeqQ, Heads).</param>
    /// <param name="localShape">This rank's sizes; SeqQ = SeqK.</param>
    /// <param name="layout">How the sequence was sharded.</param>
    /// <param name="options">Options of the whole-sequence call; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A length disagrees with <paramref name="localShape"/>, SeqQ differs from SeqK or does
    /// not divide into the layout's chunks, Heads or KvHeads is not a multiple of the world size, or the shape or options are
    /// invalid. Nothing is sent.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Forward<T>(Communicator communicator, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        Span<T> o, Span<float> lse, AttentionShape localShape, SequenceLayout layout, AttentionOptions? options = null)
        where T : unmanaged
    {
        ElementTypes.Of<T>();
        options ??= AttentionOptions.Default;
        ShardPlan.Create(communicator, localShape, layout, options, allowWindow: true);
        CheckHeads(localShape, communicator.Size);
        LocalShardLengths.CheckForward(localShape, q.Length, k.Length, v.Length, o.Length, lse.Length);

        AttentionShape s = localShape;
        int size = communicator.Size;
        var reshard = new HeadResharding(size, layout, s.Batch, s.SeqQ);
        AttentionShape mine = HeadSlice(s, size);
        // One block per rank pair: its q, k and v slices back to back.
        int qBlock = (int)s.QueryLength / size, kBlock = (int)s.KeyLength / size, block = qBlock + kBlock + (int)s.ValueLength / size;
        T[] send = new T[block * size], received = new T[send.Length];
        reshard.PackHeads(q, s.Heads, s.HeadDim, send, block, 0);
        reshard.PackHeads(k, s.KvHeads, s.HeadDim, send, block, qBlock);
        reshard.PackHeads(v, s.KvHeads, s.ValueHeadDim, send, block, qBlock + kBlock);
        communicator.AllToAll<T>(send, received);
        T[] myQ = new T[mine.QueryLength], myK = new T[mine.KeyLength], myV = new T[mine.ValueLength];
        reshard.UnpackHeads<T>(received, block, 0, myQ, s.Heads, s.HeadDim);
        reshard.UnpackHeads<T>(received, block, qBlock, myK, s.KvHeads, s.HeadDim);
        reshard.UnpackHeads<T>(received, block, qBlock + kBlock, myV, s.KvHeads, s.ValueHeadDim);

        T[] myO = new T[mine.OutputLength];
        float[] myLse = new float[mine.RowCount];
        FlashAttention.Forward<T>(myQ, myK, myV, myO, myLse, mine, options);

        int oBlock = myO.Length / size, lseBlock = myLse.Length / size;
        T[] sendO = new T[myO.Length], receivedO = new T[myO.Length];
        float[] sendLse = new float[myLse.Length], receivedLse = new float[myLse.Length];
        reshard.PackSequence<T>(myO, s.Heads, s.ValueHeadDim, sendO, oBlock, 0);
        reshard.PackSequence<float>(myLse, s.Heads, 1, sendLse, lseBlock, 0);
        communicator.AllToAll<T>(sendO, receivedO);
        communicator.AllToAll<float>(sendLse, receivedLse);
        reshard.UnpackSequence<T>(receivedO, oBlock, 0, o, s.Heads, s.ValueHeadDim);
        reshard.UnpackSequence<float>(receivedLse, lseBlock, 0, lse, s.Heads, 1);
    }

    /// <summary>Gradients of this rank's shard, by the same re-sharding around <see cref="FlashAttention.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{float}, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, AttentionShape, AttentionOptions)"/>.</summary>
    /// <param name="communicator">The group of the forward call.</param>
    /// <param name="q">Local queries.</param>
    /// <param name="k">Local keys.</param>
    /// <param name="v">Local values.</param>
    /// <param name="o">The local output of <see cref="Forward{T}"/>.</param>
    /// <param name="lse">The local log-sum-exp of <see cref="Forward{T}"/>.</param>
    /// <param name="dO">Gradient of the loss with respect to the local output.</param>
    /// <param name="dq">Receives the local query gradient.</param>
    /// <param name="dk">Receives the local key gradient.</param>
    /// <param name="dv">Receives the local value gradient.</param>
    /// <param name="localShape">Sizes of the forward call.</param>
    /// <param name="layout">Layout of the forward call.</param>
    /// <param name="options">Options of the forward call.</param>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}"/>, for every span. Nothing is sent.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Backward<T>(Communicator communicator, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<T> o, ReadOnlySpan<float> lse, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv,
        AttentionShape localShape, SequenceLayout layout, AttentionOptions? options = null)
        where T : unmanaged
    {
        ElementTypes.Of<T>();
        options ??= AttentionOptions.Default;
        ShardPlan.Create(communicator, localShape, layout, options, allowWindow: true);
        CheckHeads(localShape, communicator.Size);
        LocalShardLengths.CheckBackward(localShape, q.Length, k.Length, v.Length, o.Length, lse.Length, dO.Length, dq.Length,
            dk.Length, dv.Length);

        AttentionShape s = localShape;
        int size = communicator.Size;
        var reshard = new HeadResharding(size, layout, s.Batch, s.SeqQ);
        AttentionShape mine = HeadSlice(s, size);
        // One block per rank pair: its q, k, v, o and dO slices back to back; the fp32 lse travels in its own all-to-all.
        int qBlock = (int)s.QueryLength / size, kBlock = (int)s.KeyLength / size, vBlock = (int)s.ValueLength / size;
        int oBlock = (int)s.OutputLength / size, block = qBlock + kBlock + vBlock + 2 * oBlock, lseBlock = (int)s.RowCount / size;
        T[] send = new T[block * size], received = new T[send.Length];
        float[] sendLse = new float[lse.Length], receivedLse = new float[lse.Length];
        int offset = 0;
        reshard.PackHeads(q, s.Heads, s.HeadDim, send, block, offset);
        reshard.PackHeads(k, s.KvHeads, s.HeadDim, send, block, offset += qBlock);
        reshard.PackHeads(v, s.KvHeads, s.ValueHeadDim, send, block, offset += kBlock);
        reshard.PackHeads(o, s.Heads, s.ValueHeadDim, send, block, offset += vBlock);
        reshard.PackHeads(dO, s.Heads, s.ValueHeadDim, send, block, offset + oBlock);
        reshard.PackHeads(lse, s.Heads, 1, sendLse, lseBlock, 0);
        communicator.AllToAll<T>(send, received);
        communicator.AllToAll<float>(sendLse, receivedLse);
        T[] myQ = new T[mine.QueryLength], myK = new T[mine.KeyLength], myV = new T[mine.ValueLength];
        T[] myO = new T[mine.OutputLength], myDO = new T[mine.OutputLength];
        float[] myLse = new float[mine.RowCount];
        offset = 0;
        reshard.UnpackHeads<T>(received, block, offset, myQ, s.Heads, s.HeadDim);
        reshard.UnpackHeads<T>(received, block, offset += qBlock, myK, s.KvHeads, s.HeadDim);
        reshard.UnpackHeads<T>(received, block, offset += kBlock, myV, s.KvHeads, s.ValueHeadDim);
        reshard.UnpackHeads<T>(received, block, offset += vBlock, myO, s.Heads, s.ValueHeadDim);
        reshard.UnpackHeads<T>(received, block, offset + oBlock, myDO, s.Heads, s.ValueHeadDim);
        reshard.UnpackHeads<float>(receivedLse, lseBlock, 0, myLse, s.Heads, 1);

        int mq = (int)mine.QueryLength, mk = (int)mine.KeyLength, mv = (int)mine.ValueLength;
        T[] gradients = new T[mq + mk + mv];
        FlashAttention.Backward<T>(myQ, myK, myV, myO, myLse, myDO, gradients.AsSpan(0, mq), gradients.AsSpan(mq, mk),
            gradients.AsSpan(mq + mk, mv), mine, options);
        // Back to sequence shards: one block per rank pair with its dq, dk and dv rows.
        T[] sendGradients = new T[gradients.Length], receivedGradients = new T[gradients.Length];
        int gradientBlock = gradients.Length / size;
        reshard.PackSequence<T>(gradients.AsSpan(0, mq), s.Heads, s.HeadDim, sendGradients, gradientBlock, 0);
        reshard.PackSequence<T>(gradients.AsSpan(mq, mk), s.KvHeads, s.HeadDim, sendGradients, gradientBlock, qBlock);
        reshard.PackSequence<T>(gradients.AsSpan(mq + mk, mv), s.KvHeads, s.ValueHeadDim, sendGradients, gradientBlock, qBlock + kBlock);
        communicator.AllToAll<T>(sendGradients, receivedGradients);
        reshard.UnpackSequence<T>(receivedGradients, gradientBlock, 0, dq, s.Heads, s.HeadDim);
        reshard.UnpackSequence<T>(receivedGradients, gradientBlock, qBlock, dk, s.KvHeads, s.HeadDim);
        reshard.UnpackSequence<T>(receivedGradients, gradientBlock, qBlock + kBlock, dv, s.KvHeads, s.ValueHeadDim);
    }

    /// <summary>One rank's whole-sequence problem: Heads / P query heads over KvHeads / P kv heads.</summary>
    private static AttentionShape HeadSlice(AttentionShape local, int size) => local with
    {
        SeqQ = local.SeqQ * size,
        SeqK = local.SeqK * size,
        Heads = local.Heads / size,
        KvHeads = local.KvHeads / size,
    };

    private static void CheckHeads(AttentionShape local, int size)
    {
        if (local.Heads % size != 0 || local.KvHeads % size != 0)
        {
            throw new ArgumentException(
                $"localShape.Heads = {local.Heads} and KvHeads = {local.KvHeads} must both be multiples of the world size {size}.", "localShape");
        }
        long whole = (long)local.SeqQ * size * local.Heads / size * Math.Max(local.HeadDim, local.ValueHeadDim) * local.Batch;
        if (whole > int.MaxValue)
        {
            throw new ArgumentException($"a head slice of the whole sequence has {whole} elements, more than a span holds.", "localShape");
        }
    }
}
