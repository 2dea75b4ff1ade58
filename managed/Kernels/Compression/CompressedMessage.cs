namespace Kernels.Compression;

/// <summary>What a compressor sends for one gradient buffer.</summary>
public abstract class CompressedMessage
{
    private protected CompressedMessage(MatrixShape shape) => Shape = shape;

    /// <summary>The shape of the dense buffer this message stands for.</summary>
    public MatrixShape Shape { get; }

    /// <summary>Bytes the message occupies on the wire (its arrays, without framing).</summary>
    public abstract long PayloadBytes { get; }

    /// <summary>Dense fp32 bytes over <see cref="PayloadBytes"/>: how much smaller the message is.</summary>
    public double CompressionRatio => Shape.Length * (double)sizeof(float) / Math.Max(1, PayloadBytes);
}
