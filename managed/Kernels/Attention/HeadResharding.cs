namespace Kernels.Attention;

/// <summary>
/// The copies around the two all-to-alls of Ulysses attention, between "rank p holds a sequence shard of every head"
/// and "rank p holds the whole sequence of head slice p". The block one rank sends another is, for each tensor, that
/// pair's (batch, localSeq, heads / size, dim) rows — sender's positions of the receiver's head slice on the way to heads,
/// receiver's positions of the sender's head slice on the way back — with the tensors back to back at
/// <c>offset</c> within each <c>blockLength</c>-element block.
/// </summary>
internal sealed class HeadResharding(int size, SequenceLayout layout, int batch, int localSeq)
{
    private int Seq => localSeq * size;

    /// <summary>Cuts this rank's local (batch, localSeq, heads, dim) tensor into head slices, slice d into block d of <paramref name="send"/>.</summary>
    internal void PackHeads<T>(ReadOnlySpan<T> local, int heads, int dim, Span<T> send, int blockLength, int offset) where T : unmanaged
    {
        int slice = heads / size, row = slice * dim;
        for (int destination = 0; destination < size; destination++)
        {
            Span<T> block = send.Slice(destination * blockLength + offset);
            for (int position = 0; position < batch * localSeq; position++)
            {
                local.Slice((position * heads + destination * slice) * dim, row).CopyTo(block.Slice(position * row, row));
            }
        }
    }

    /// <summary>Places the block from each source rank (its positions of this rank's head slice) into <paramref name="mine"/>, (batch, seq, heads / size, dim) in sequence order.</summary>
    internal void UnpackHeads<T>(ReadOnlySpan<T> received, int blockLength, int offset, Span<T> mine, int heads, int dim) where T : unmanaged
    {
        int row = heads / size * dim;
        for (int source = 0; source < size; source++)
        {
            ReadOnlySpan<T> block = received.Slice(source * blockLength + offset);
            for (int blockRow = 0; blockRow < batch * localSeq; blockRow++)
            {
                block.Slice(blockRow * row, row).CopyTo(mine.Slice(SequenceRow(source, blockRow) * row, row));
            }
        }
    }

    /// <summary>Cuts this rank's head-slice result (batch, seq, heads / size, dim) by sequence shard, rank d's positions into block d.</summary>
    internal void PackSequence<T>(ReadOnlySpan<T> mine, int heads, int dim, Span<T> send, int blockLength, int offset) where T : unmanaged
    {
        int row = heads / size * dim;
        for (int destination = 0; destination < size; destination++)
        {
            Span<T> block = send.Slice(destination * blockLength + offset);
            for (int blockRow = 0; blockRow < batch * localSeq; blockRow++)
            {
                mine.Slice(SequenceRow(destination, blockRow) * row, row).CopyTo(block.Slice(blockRow * row, row));
            }
        }
    }

    /// <summary>Where row (b, i) of the block exchanged with <paramref name="rank"/> sits in the sequence-ordered (batch, seq) rows.</summary>
    private int SequenceRow(int rank, int blockRow)
    {
        (int b, int i) = Math.DivRem(blockRow, localSeq);
        return b * Seq + SequenceShards.GlobalPosition(layout, rank, size, localSeq, i);
    }

    /// <summary>Places the block from each source rank (head slice p of this rank's positions) into <paramref name="local"/>, (batch, localSeq, heads, dim).</summary>
    internal void UnpackSequence<T>(ReadOnlySpan<T> received, int blockLength, int offset, Span<T> local, int heads, int dim) where T : unmanaged
    {
        int slice = heads / size, row = slice * dim;
        for (int source = 0; source < size; source++)
        {
            ReadOnlySpan<T> block = received.Slice(source * blockLength + offset);
            for (int position = 0; position < batch * localSeq; position++)
            {
                block.Slice(position * row, row).CopyTo(local.Slice((position * heads + source * slice) * dim, row));
            }
        }
    }
}
