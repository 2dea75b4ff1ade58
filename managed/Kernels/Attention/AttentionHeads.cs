namespace Kernels.Attention;

/// <summary>
/// Head counts and dimensions of a packed variable-length call (<see cref="FlashAttention.ForwardVarlen{T}"/>): q is
/// <c>[totalQ, Heads, HeadDim]</c>, k is <c>[totalK, KvHeads, HeadDim]</c>, v is <c>[totalK, KvHeads, ValueHeadDim]</c>,
/// o is <c>[totalQ, Heads, ValueHeadDim]</c> and the log-sum-exp is <c>[totalQ, Heads]</c>, row-major.
/// </summary>
/// <param name="Heads">Query heads, at least 1 and a multiple of <paramref name="KvHeads"/>.</param>
/// <param name="KvHeads">Key/value heads (GQA; 1 = MQA): query head h reads kv head h / (Heads / KvHeads).</param>
/// <param name="HeadDim">Dimension of q and k, 1..256.</param>
/// <param name="ValueHeadDim">Dimension of v and o, 1..256.</param>
public readonly record struct AttentionHeads(int Heads, int KvHeads, int HeadDim, int ValueHeadDim)
{
    /// <summary>Heads whose values share the query/key head dimension.</summary>
    public AttentionHeads(int heads, int kvHeads, int headDim)
        : this(heads, kvHeads, headDim, headDim)
    {
    }

    /// <summary>The batch-1 shape of one sequence of <paramref name="seqQ"/> queries over <paramref name="seqK"/> keys.</summary>
    internal AttentionShape ShapeOf(int seqQ, int seqK) => new(1, seqQ, seqK, Heads, KvHeads, HeadDim, ValueHeadDim);
}
