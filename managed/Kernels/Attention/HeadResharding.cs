namespace Kernels.Attention;

/// <summary>
/// The two copies of Ulysses attention, between "rank p holds a sequence shard of every head" and "rank p holds the whole
/// sequence of head slice p". <c>gathered</c> holds every rank's contribution, rank-major (an all-gather's output).
/// </summary>
internal sealed class HeadResharding(int rank, int size, SequenceLayout layout, int batch, int localSeq)
{
    private int Seq => localSeq * size;

    /// <summary>
    /// From each rank's local (batch, localSeq, heads, dim) tensor, found at <paramref name="offset"/> within its
    /// <paramref name="shardStride"/>-element part of <paramref name="gathered"/>, takes head slice <c>rank</c> of every
    /// position into <paramref name="mine"/>, (batch, seq, heads / size, dim) in sequence order.
    /// </summary>
    internal void ToHeads<T>(ReadOnlySpan<T> gathered, int shardStride, int offset, Span<T> mine, int heads, int dim) where T : unmanaged
    {
        int slice = heads / size, row = slice * dim;
        for (int source = 0; source < size; source++)
        {
            ReadOnlySpan<T> shard = gathered.Slice(source * shardStride + offset);
            for (int b = 0; b < batch; b++)
            {
                for (int i = 0; i < localSeq; i++)
                {
                    int position = SequenceShards.GlobalPosition(layout, source, size, localSeq, i);
                    shard.Slice(((b * localSeq + i) * heads + rank * slice) * dim, row)
                        .CopyTo(mine.Slice((b * Seq + position) * row, row));
                }
            }
        }
    }

    /// <summary>
    /// From each rank's (batch, seq, heads / size, dim) head-slice result at <paramref name="offset"/> within its
    /// <paramref name="shardStride"/>-element part of <paramref name="gathered"/>, takes this rank's positions into
    /// <paramref name="local"/>, (batch, localSeq, heads, dim).
    /// </summary>
    internal void ToSequence<T>(ReadOnlySpan<T> gathered, int shardStride, int offset, Span<T> local, int heads, int dim) where T : unmanaged
    {
        int slice = heads / size, row = slice * dim;
        for (int source = 0; source < size; source++)
        {
            ReadOnlySpan<T> part = gathered.Slice(source * shardStride + offset);
            for (int b = 0; b < batch; b++)
            {
                for (int i = 0; i < localSeq; i++)
                {
                    int position = SequenceShards.GlobalPosition(layout, rank, size, localSeq, i);
                    part.Slice((b * Seq + position) * row, row)
                        .CopyTo(local.Slice(((b * localSeq + i) * heads + source * slice) * dim, row));
                }
            }
        }
    }
}
