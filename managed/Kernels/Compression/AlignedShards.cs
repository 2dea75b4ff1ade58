namespace Kernels.Compression;

/// <summary>
/// The parts of a vector the ranks own in the 1-bit two-phase protocol: contiguous, in rank order, each starting at a multiple of
/// lcm(chunk, 32) elements, so a part starts a sign word and a scale chunk and a whole-vector message slices into per-rank
/// messages without recompressing. Units are spread like <see cref="Collectives.Communicator.ShardOf"/> (the first ranks one more);
/// short vectors leave the last ranks empty parts.
/// </summary>
internal readonly struct AlignedShards
{
    private readonly long _alignment;
    private readonly int _length;
    private readonly int _size;

    internal AlignedShards(int length, int size, int chunkSize)
    {
        // lcm(chunk, 32) = chunk * 32 / gcd(chunk, 32), and that gcd is the power of two dividing chunk, capped at 32.
        _alignment = (long)chunkSize * 32 >> Math.Min(5, System.Numerics.BitOperations.TrailingZeroCount(chunkSize));
        _length = length;
        _size = size;
        ChunkSize = chunkSize;
    }

    internal int ChunkSize { get; }

    /// <summary>First element and element count of <paramref name="rank"/>'s part.</summary>
    internal (int Offset, int Length) Of(int rank)
    {
        long units = (_length + _alignment - 1) / _alignment;
        long start = rank * (units / _size) + Math.Min(rank, units % _size);
        long count = units / _size + (rank < units % _size ? 1 : 0);
        long offset = Math.Min(_length, start * _alignment);
        return ((int)offset, (int)(Math.Min(_length, (start + count) * _alignment) - offset));
    }

    /// <summary>Sign words and scales of a part: the words and scales of <paramref name="rank"/>'s slice of a whole-vector message.</summary>
    internal (int FirstWord, int Words, int FirstScale, int Scales) MessageRangeOf(int rank)
    {
        (int offset, int length) = Of(rank);
        return (offset / 32, (length + 31) / 32, offset / ChunkSize, (int)(((long)length + ChunkSize - 1) / ChunkSize));
    }

    /// <summary>uints of a part's packet: its sign words, then its scales' bits.</summary>
    internal int PacketLength(int rank)
    {
        (_, int words, _, int scales) = MessageRangeOf(rank);
        return words + scales;
    }
}
