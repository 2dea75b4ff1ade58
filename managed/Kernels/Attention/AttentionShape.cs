namespace Kernels.Attention;

/// <summary>
/// Sizes of one attention call. Tensors are row-major <c>[batch, seq, heads, dim]</c>: q is
/// (<see cref="Batch"/>, <see cref="SeqQ"/>, <see cref="Heads"/>, <see cref="HeadDim"/>), k is (Batch, <see cref="SeqK"/>,
/// <see cref="KvHeads"/>, HeadDim), v is (Batch, SeqK, KvHeads, <see cref="ValueHeadDim"/>), the output o is
/// (Batch, SeqQ, Heads, ValueHeadDim) and the log-sum-exp is (Batch, SeqQ, Heads).
/// </summary>
/// <param name="Batch">Batch size, at least 0.</param>
/// <param name="SeqQ">Query sequence length, at least 0.</param>
/// <param name="SeqK">Key/value sequence length, at least 0.</param>
/// <param name="Heads">Query heads, at least 1 and a multiple of <paramref name="KvHeads"/>.</param>
/// <param name="KvHeads">Key/value heads (GQA; 1 = MQA): query head h reads kv head h / (Heads / KvHeads).</param>
/// <param name="HeadDim">Dimension of q and k, 1..256.</param>
/// <param name="ValueHeadDim">Dimension of v and o, 1..256.</param>
public readonly record struct AttentionShape(int Batch, int SeqQ, int SeqK, int Heads, int KvHeads, int HeadDim, int ValueHeadDim)
{
    /// <summary>The largest head dimension the kernels accept.</summary>
    public const int MaxHeadDim = 256;

    /// <summary>A shape whose values share the query/key head dimension.</summary>
    public AttentionShape(int batch, int seqQ, int seqK, int heads, int kvHeads, int headDim)
        : this(batch, seqQ, seqK, heads, kvHeads, headDim, headDim)
    {
    }

    /// <summary>Elements of q.</summary>
    public long QueryLength => (long)Batch * SeqQ * Heads * HeadDim;

    /// <summary>Elements of k.</summary>
    public long KeyLength => (long)Batch * SeqK * KvHeads * HeadDim;

    /// <summary>Elements of v.</summary>
    public long ValueLength => (long)Batch * SeqK * KvHeads * ValueHeadDim;

    /// <summary>Elements of o.</summary>
    public long OutputLength => (long)Batch * SeqQ * Heads * ValueHeadDim;

    /// <summary>Elements of the log-sum-exp.</summary>
    public long RowCount => (long)Batch * SeqQ * Heads;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (parameter <paramref name="name"/>) naming the bad field.</summary>
    internal void Validate(string name)
    {
        Require(Batch >= 0, name, $"Batch = {Batch} must not be negative.");
        Require(SeqQ >= 0, name, $"SeqQ = {SeqQ} must not be negative.");
        Require(SeqK >= 0, name, $"SeqK = {SeqK} must not be negative.");
        Require(Heads >= 1 && KvHeads >= 1, name, $"Heads = {Heads} and KvHeads = {KvHeads} must be at least 1.");
        Require(Heads % KvHeads == 0, name, $"Heads = {Heads} is not a multiple of KvHeads = {KvHeads}.");
        Require(HeadDim is >= 1 and <= MaxHeadDim, name, $"HeadDim = {HeadDim} is not in 1..{MaxHeadDim}.");
        Require(ValueHeadDim is >= 1 and <= MaxHeadDim, name, $"ValueHeadDim = {ValueHeadDim} is not in 1..{MaxHeadDim}.");
        foreach (long length in (ReadOnlySpan<long>)[QueryLength, KeyLength, ValueLength, OutputLength])
        {
            Require(length <= int.MaxValue, name, $"a tensor of {length} elements overflows a span's length.");
        }
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, message);
        }
    }
}
