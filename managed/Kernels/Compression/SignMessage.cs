namespace Kernels.Compression;

/// <summary>A 1-bit message: one sign bit per element and one scale per chunk.</summary>
public sealed class SignMessage : CompressedMessage
{
    private readonly uint[] _signs;
    private readonly float[] _scales;

    internal SignMessage(MatrixShape shape, int chunkSize, uint[] signs, float[] scales) : base(shape)
    {
        ChunkSize = chunkSize;
        _signs = signs;
        _scales = scales;
    }

    /// <summary>Elements per scale; the last chunk may be shorter.</summary>
    public int ChunkSize { get; }

    /// <summary>Element i is bit i % 32 of word i / 32, set when the element was negative; bits past the length are 0.</summary>
    public ReadOnlySpan<uint> Signs => _signs;

    /// <summary>One scale per chunk: every element decompresses to +scale or -scale.</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <inheritdoc/>
    public override long PayloadBytes => _signs.Length * (long)sizeof(uint) + _scales.Length * (long)sizeof(float);
}
