namespace Kernels.Attention;

/// <summary>
/// Cuts a <c>[batch, seq, ...]</c> tensor into the per-rank shards of a <see cref="SequenceLayout"/> and puts them back.
/// A tensor is seen as (batch, seq, rowElements): rowElements = heads * dim for q, k, v and o, heads for the log-sum-exp.
/// </summary>
public static class SequenceShards
{
    /// <summary>Chunks each rank holds: 1 (contiguous) or 2 (zigzag).</summary>
    public static int ChunksPerRank(SequenceLayout layout) => layout == SequenceLayout.Zigzag ? 2 : 1;

    /// <summary>Index, among all <c>size * ChunksPerRank(layout)</c> chunks in sequence order, of <paramref name="rank"/>'s local chunk <paramref name="localChunk"/>.</summary>
    public static int ChunkIndex(SequenceLayout layout, int rank, int size, int localChunk) =>
        layout == SequenceLayout.Zigzag && localChunk == 1 ? 2 * size - 1 - rank : rank;

    /// <summary>Position in the whole sequence of <paramref name="rank"/>'s local position <paramref name="localPosition"/> (of <paramref name="localSeq"/>).</summary>
    public static int GlobalPosition(SequenceLayout layout, int rank, int size, int localSeq, int localPosition)
    {
        int chunk = localSeq / ChunksPerRank(layout);
        return ChunkIndex(layout, rank, size, localPosition / chunk) * chunk + localPosition % chunk;
    }

    /// <summary>Copies <paramref name="rank"/>'s shard of <paramref name="full"/> (batch, seq, rowElements) into <paramref name="local"/> (batch, seq / size, rowElements).</summary>
    /// <exception cref="ArgumentException">A size is out of range, <paramref name="seq"/> is not a multiple of size * ChunksPerRank(layout), or a length disagrees.</exception>
    public static void Shard<T>(ReadOnlySpan<T> full, Span<T> local, SequenceLayout layout, int rank, int size, int batch, int seq, int rowElements)
        where T : unmanaged
    {
        int chunk = Check(full.Length, local.Length, layout, rank, size, batch, seq, rowElements);
        foreach ((int fullOffset, int localOffset, int length) in Chunks(layout, rank, size, batch, seq, chunk, rowElements))
        {
            full.Slice(fullOffset, length).CopyTo(local.Slice(localOffset, length));
        }
    }

    /// <summary>Copies <paramref name="local"/>, <paramref name="rank"/>'s shard, into its rows of <paramref name="full"/>; other rows are untouched.</summary>
    /// <exception cref="ArgumentException">As <see cref="Shard{T}"/>.</exception>
    public static void Unshard<T>(ReadOnlySpan<T> local, Span<T> full, SequenceLayout layout, int rank, int size, int batch, int seq, int rowElements)
        where T : unmanaged
    {
        int chunk = Check(full.Length, local.Length, layout, rank, size, batch, seq, rowElements);
        foreach ((int fullOffset, int localOffset, int length) in Chunks(layout, rank, size, batch, seq, chunk, rowElements))
        {
            local.Slice(localOffset, length).CopyTo(full.Slice(fullOffset, length));
        }
    }

    /// <summary>(offset in the full tensor, offset in the shard, length) of each of the rank's chunks, batch by batch.</summary>
    private static IEnumerable<(int Full, int Local, int Length)> Chunks(SequenceLayout layout, int rank, int size, int batch, int seq, int chunk, int rowElements)
    {
        int chunks = ChunksPerRank(layout), localSeq = seq / size, length = chunk * rowElements;
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < chunks; i++)
            {
                int global = ChunkIndex(layout, rank, size, i);
                yield return ((b * seq + global * chunk) * rowElements, (b * localSeq + i * chunk) * rowElements, length);
            }
        }
    }

    private static int Check(int fullLength, int localLength, SequenceLayout layout, int rank, int size, int batch, int seq, int rowElements)
    {
        if (!Enum.IsDefined(layout))
        {
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Undefined SequenceLayout.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((uint)rank >= (uint)size)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in 0..{size - 1}.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        ArgumentOutOfRangeException.ThrowIfNegative(rowElements);
        int chunks = size * ChunksPerRank(layout);
        if (seq % chunks != 0)
        {
            throw new ArgumentException($"seq = {seq} is not a multiple of the {chunks} chunks of a {layout} layout over {size} ranks.", nameof(seq));
        }
        long full = (long)batch * seq * rowElements;
        if (fullLength != full)
        {
            throw new ArgumentException($"full has {fullLength} elements but batch * seq * rowElements = {full}.", "full");
        }
        if (localLength != full / size)
        {
            throw new ArgumentException($"local has {localLength} elements but a shard has {full / size}.", "local");
        }
        return seq / chunks;
    }
}
