namespace Kernels.Compression;

/// <summary>A top-k message: <see cref="Count"/> (index, value) pairs, indices ascending.</summary>
public sealed class SparseMessage : CompressedMessage
{
    private readonly int[] _indices;
    private readonly float[] _values;

    internal SparseMessage(MatrixShape shape, int[] indices, float[] values, int count) : base(shape)
    {
        _indices = indices;
        _values = values;
        Count = count;
    }

    /// <summary>Pairs in the message.</summary>
    public int Count { get; }

    /// <summary>Positions in the dense buffer, ascending, each below its length.</summary>
    public ReadOnlySpan<int> Indices => _indices.AsSpan(0, Count);

    /// <summary>The gradient values at <see cref="Indices"/>, bit for bit.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, Count);

    /// <inheritdoc/>
    public override long PayloadBytes => Count * (long)(sizeof(int) + sizeof(float));
}
