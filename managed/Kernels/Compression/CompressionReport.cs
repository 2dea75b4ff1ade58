namespace Kernels.Compression;

/// <summary>What one compressed all-reduce (or optimizer step) sent from this rank.</summary>
/// <param name="BytesSent">Bytes this rank put on the links (payload, without transport framing); see <see cref="CompressedAllReduce"/>
/// for how each protocol counts.</param>
/// <param name="DenseBytes">Bytes this rank would send in a ring all-reduce of the fp32 gradient: <c>2 (n - 1) / n * 4 * length</c>.</param>
public readonly record struct CompressionReport(long BytesSent, long DenseBytes)
{
    /// <summary><see cref="DenseBytes"/> over <see cref="BytesSent"/>: how many times fewer bytes than dense; 1 when nothing was sent (one rank).</summary>
    public double CompressionRatio => BytesSent == 0 ? 1 : DenseBytes / (double)BytesSent;

    /// <summary>The report of two steps together (e.g. the non-finite check and the exchange).</summary>
    public static CompressionReport operator +(CompressionReport a, CompressionReport b) =>
        new(a.BytesSent + b.BytesSent, a.DenseBytes + b.DenseBytes);
}
