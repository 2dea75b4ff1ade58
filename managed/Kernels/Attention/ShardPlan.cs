using Kernels.Collectives;

namespace Kernels.Attention;

/// <summary>Which part of a (query chunk, key chunk) pair a query sees.</summary>
internal enum ChunkVisibility
{
    Hidden,
    Full,
    Diagonal,
}

/// <summary>
/// The geometry of one rank's part of a sequence-sharded attention call: local tensors are (Batch, SeqQ = SeqK, heads,
/// dim) holding <see cref="ChunksPerRank"/> chunks of <see cref="ChunkLength"/> positions each (see <see cref="SequenceLayout"/>).
/// Created only from validated arguments.
/// </summary>
internal sealed class ShardPlan
{
    private ShardPlan(Communicator communicator, AttentionShape local, SequenceLayout layout, AttentionOptions options)
    {
        Rank = communicator.Rank;
        Size = communicator.Size;
        Local = local;
        Layout = layout;
        Options = options;
        ChunksPerRank = SequenceShards.ChunksPerRank(layout);
        ChunkLength = local.SeqQ / ChunksPerRank;
        Chunk = local with { SeqQ = ChunkLength, SeqK = ChunkLength };
    }

    internal int Rank { get; }
    internal int Size { get; }
    internal AttentionShape Local { get; }
    internal SequenceLayout Layout { get; }
    internal AttentionOptions Options { get; }
    internal int ChunksPerRank { get; }
    internal int ChunkLength { get; }

    /// <summary>The shape of one (query chunk, key chunk) call.</summary>
    internal AttentionShape Chunk { get; }

    /// <summary>Validates everything that must agree before a single byte is sent.</summary>
    /// <exception cref="ArgumentException">See <see cref="RingAttention"/>.</exception>
    internal static ShardPlan Create(Communicator communicator, AttentionShape local, SequenceLayout layout, AttentionOptions options,
        bool allowWindow)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        local.Validate("localShape");
        options.Validate("options");
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Undefined SequenceLayout.");
        }
        if (local.SeqQ != local.SeqK)
        {
            throw new ArgumentException(
                $"localShape.SeqQ = {local.SeqQ} and SeqK = {local.SeqK} differ: q, k and v must be sharded alike.", "localShape");
        }
        int chunks = SequenceShards.ChunksPerRank(layout);
        if (local.SeqQ % chunks != 0)
        {
            throw new ArgumentException(
                $"localShape.SeqQ = {local.SeqQ} is not a multiple of the {chunks} chunks a {layout} shard holds (the whole sequence must divide into {chunks * communicator.Size} chunks).",
                "localShape");
        }
        if (!allowWindow && (options.WindowLeft >= 0 || options.WindowRight >= 0))
        {
            throw new ArgumentException("Ring attention does not support a sliding window (WindowLeft/WindowRight must be -1).", nameof(options));
        }
        return new ShardPlan(communicator, local, layout, options);
    }

    /// <summary>Index in the whole sequence, in chunks, of <paramref name="rank"/>'s local chunk <paramref name="localChunk"/>.</summary>
    internal int ChunkIndex(int rank, int localChunk) => SequenceShards.ChunkIndex(Layout, rank, Size, localChunk);

    /// <summary>What this rank's query chunk <paramref name="queryChunk"/> sees of <paramref name="owner"/>'s key chunk <paramref name="keyChunk"/>.</summary>
    internal ChunkVisibility Visibility(int queryChunk, int owner, int keyChunk)
    {
        if (!Options.Causal)
        {
            return ChunkVisibility.Full;
        }
        int query = ChunkIndex(Rank, queryChunk), key = ChunkIndex(owner, keyChunk);
        return key < query ? ChunkVisibility.Full : key == query ? ChunkVisibility.Diagonal : ChunkVisibility.Hidden;
    }

    /// <summary>Options of one chunk-pair call: equal-length chunks, so a causal diagonal is the ordinary causal mask.</summary>
    internal AttentionOptions OptionsFor(ChunkVisibility visibility) =>
        Options with { Causal = visibility == ChunkVisibility.Diagonal, Scale = Options.ScaleFor(Local.HeadDim) };

    /// <summary>Offset of local chunk <paramref name="chunk"/> in a local tensor with <paramref name="rowElements"/> per position.</summary>
    internal int ChunkOffset(int chunk, int rowElements) => chunk * ChunkLength * rowElements;

    /// <summary>Strides of a chunk view into a local tensor (the batch stride spans the whole local sequence).</summary>
    internal AttentionStrides ChunkStrides(int heads, int dim) => new((long)Local.SeqQ * heads * dim, (long)heads * dim, dim);

    /// <summary>Copies between a dense chunk tensor (Batch, ChunkLength, rowElements) and its rows in a local tensor.</summary>
    internal void CopyChunk<TFrom, TTo>(ReadOnlySpan<TFrom> from, Span<TTo> to, int chunk, int rowElements, bool intoLocal)
        where TFrom : unmanaged where TTo : unmanaged
    {
        int length = ChunkLength * rowElements;
        for (int b = 0; b < Local.Batch; b++)
        {
            int localOffset = (b * Local.SeqQ + chunk * ChunkLength) * rowElements, denseOffset = b * length;
            if (intoLocal)
            {
                Conversion.Convert(from.Slice(denseOffset, length), to.Slice(localOffset, length));
            }
            else
            {
                Conversion.Convert(from.Slice(localOffset, length), to.Slice(denseOffset, length));
            }
        }
    }
}
