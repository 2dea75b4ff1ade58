using Kernels.Interop;

namespace Kernels.Compression;

/// <summary>
/// PowerSGD (Vogels et al. 2019): a rank-r approximation M ≈ P Q^T of a gradient matrix M (rows x cols) by one step of
/// subspace iteration, <c>P = M Q</c>, orthonormalise P's columns, <c>Q = M^T P</c>, with Q kept as the warm start of the
/// next step.
/// </summary>
/// <remarks>
/// <para>Sent dense instead (a <see cref="LowRankMessage"/> with <see cref="LowRankMessage.IsDense"/>): the first
/// <c>warmUpSteps</c> steps; tensors whose factors would not be smaller than the matrix, (rows + cols) * rank &gt;= rows * cols;
/// and a step whose input holds NaN or an infinity (any such element makes a whole row of P and then all of Q non-finite,
/// which would spread to every element). The warm-start Q is then left as it was.</para>
/// <para>The first compressed step starts from a Q of standard normal values drawn from SplitMix64 with the seed. The products
/// sum in ascending order of the inner index (fused multiply-add on AVX2/AVX-512), so P and Q differ between SIMD targets by
/// rounding; on one target a run is bit-reproducible.</para>
/// <para>P and Q of several ranks can be all-reduced (<see cref="IsLinear"/> is true): the collective form orthonormalises the
/// summed P before computing Q.</para>
/// </remarks>
public sealed unsafe class PowerSgd : ICompressor<LowRankMessage>, IStatefulPart
{
    private const float OrthonormalizeEpsilon = 1e-8f;

    private readonly ulong _seed;
    private ShapeGuard _shape;
    private float[]? _warmStartQ;
    private long _step;

    /// <param name="rank">Rank of the approximation; 1 to 32 and at most min(rows, cols) of every tensor it compresses.</param>
    /// <param name="warmUpSteps">Steps sent uncompressed before compression starts; at least 0.</param>
    /// <param name="seed">Seed of the initial Q.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is outside 1..32 or <paramref name="warmUpSteps"/> is negative.</exception>
    public PowerSgd(int rank, int warmUpSteps = 0, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(warmUpSteps);
        Rank = rank;
        WarmUpSteps = warmUpSteps;
        _seed = seed;
    }

    /// <summary>Rank of the approximation.</summary>
    public int Rank { get; }

    /// <summary>Steps sent uncompressed at the start.</summary>
    public int WarmUpSteps { get; }

    /// <summary>Steps compressed so far (warm-up steps included).</summary>
    public long Step => _step;

    /// <inheritdoc/>
    public bool IsLinear => true;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shape does not match the gradient (names <c>gradient</c>), differs from the first
    /// step's (names <c>shape</c>), or rank exceeds min(rows, cols) (names <c>rank</c>); nothing changes then.</exception>
    public LowRankMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        _shape.Check(shape, nameof(PowerSgd));
        if (Rank > Math.Min(shape.Rows, shape.Cols))
        {
            throw new ArgumentOutOfRangeException("rank", Rank, $"rank = {Rank} exceeds min(rows, cols) of the {shape} gradient.");
        }
        _shape.Shape = shape;
        long step = _step++;
        bool gains = ((long)shape.Rows + shape.Cols) * Rank < shape.Length;
        if (step < WarmUpSteps || !gains)
        {
            return LowRankMessage.Uncompressed(shape, gradient.ToArray());
        }

        float[] q = _warmStartQ ?? InitialQ(shape.Cols);
        var p = new float[shape.Rows * Rank];
        var nextQ = new float[shape.Cols * Rank];
        fixed (float* pm = gradient)
        fixed (float* pp = p)
        fixed (float* pq = q)
        fixed (float* pn = nextQ)
        {
            Native.Check(NativeMethods.kn_lowrank_m_q(pm, pq, pp, (nuint)shape.Rows, (nuint)shape.Cols, (nuint)Rank));
            if (!AllFinite(p))
            {
                return LowRankMessage.Uncompressed(shape, gradient.ToArray());
            }
            Native.Check(NativeMethods.kn_orthonormalize_columns(pp, (nuint)shape.Rows, (nuint)Rank, OrthonormalizeEpsilon));
            Native.Check(NativeMethods.kn_lowrank_mt_p(pm, pp, pn, (nuint)shape.Rows, (nuint)shape.Cols, (nuint)Rank));
        }
        _warmStartQ = nextQ;
        return LowRankMessage.Factors(shape, Rank, p, (float[])nextQ.Clone());
    }

    /// <inheritdoc/>
    public void Decompress(LowRankMessage message, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (destination.Length != message.Shape.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} elements but the message stands for {message.Shape.Length}.", nameof(destination));
        }
        if (message.IsDense)
        {
            message.Dense.CopyTo(destination);
            return;
        }
        fixed (float* pp = message.P)
        fixed (float* pq = message.Q)
        fixed (float* pm = destination)
        {
            Native.Check(NativeMethods.kn_lowrank_p_qt(pp, pq, pm, (nuint)message.Shape.Rows, (nuint)message.Shape.Cols, (nuint)message.Rank));
        }
    }

    private float[] InitialQ(int cols)
    {
        var q = new float[cols * Rank];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = SplitMix64.Normal(_seed, i);
        }
        return q;
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) return false;
        }
        return true;
    }

    string IStatefulPart.StateKind => $"PowerSgd(rank={Rank}, warmUp={WarmUpSteps}, seed={_seed})";

    void IStatefulPart.SaveState(BinaryWriter writer)
    {
        StateFormat.WriteShape(writer, _shape.Shape);
        writer.Write(_step);
        writer.Write(_warmStartQ is not null);
        if (_warmStartQ is not null)
        {
            StateFormat.WriteFloats(writer, _warmStartQ);
        }
    }

    Action IStatefulPart.ReadState(BinaryReader reader)
    {
        MatrixShape? shape = StateFormat.ReadShape(reader, _shape.Shape);
        long step = reader.ReadInt64();
        if (step < 0)
        {
            throw StateFormat.Invalid($"its step counter is negative ({step}).");
        }
        float[]? q = null;
        if (reader.ReadBoolean())
        {
            if (shape is not { } s)
            {
                throw StateFormat.Invalid("it holds a warm-start Q but no shape.");
            }
            q = StateFormat.ReadFloats(reader, (long)s.Cols * Rank, "warm-start Q");
        }
        return () =>
        {
            _shape.Shape = shape;
            _step = step;
            _warmStartQ = q;
        };
    }
}
