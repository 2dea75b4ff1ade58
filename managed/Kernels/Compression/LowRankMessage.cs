namespace Kernels.Compression;

/// <summary>
/// A PowerSGD message: the factors P (rows x rank, orthonormal columns) and Q (cols x rank) of the approximation
/// P Q^T, or the dense gradient itself during warm-up, when the factors would not be smaller, or when the input
/// held a non-finite value (see <see cref="PowerSgd"/>). A same-shape batch stacks one P block and one Q block per matrix.
/// </summary>
public sealed class LowRankMessage : CompressedMessage
{
    private readonly float[]? _p;
    private readonly float[]? _q;
    private readonly float[]? _dense;

    private LowRankMessage(MatrixShape shape, int rank, int matrices, float[]? p, float[]? q, float[]? dense) : base(shape)
    {
        Rank = rank;
        Matrices = matrices;
        _p = p;
        _q = q;
        _dense = dense;
    }

    internal static LowRankMessage Factors(MatrixShape shape, int rank, int matrices, float[] p, float[] q) => new(shape, rank, matrices, p, q, null);

    internal static LowRankMessage Uncompressed(MatrixShape shape, float[] dense) => new(shape, 0, 1, null, null, dense);

    /// <summary>True when the message carries <see cref="Dense"/> instead of factors.</summary>
    public bool IsDense => _dense is not null;

    /// <summary>The rank of the factors; 0 for a dense message.</summary>
    public int Rank { get; }

    /// <summary>Same-shape matrices whose factors the message stacks (1 without batching, and for a dense message).</summary>
    public int Matrices { get; }

    /// <summary>P, rows x rank, row-major (one block per matrix of a batch, each (rows / <see cref="Matrices"/>) x rank); empty for a dense message.</summary>
    public ReadOnlySpan<float> P => _p;

    /// <summary>Q, cols x rank, row-major (one block per matrix of a batch); empty for a dense message.</summary>
    public ReadOnlySpan<float> Q => _q;

    /// <summary>The uncompressed gradient; empty unless <see cref="IsDense"/>.</summary>
    public ReadOnlySpan<float> Dense => _dense;

    /// <inheritdoc/>
    public override long PayloadBytes => ((_p?.Length ?? 0) + (_q?.Length ?? 0) + (_dense?.Length ?? 0)) * (long)sizeof(float);
}
