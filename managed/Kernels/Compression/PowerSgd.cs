using Kernels.Execution;
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
/// rounding; on one target a run is bit-reproducible, for any <see cref="KernelThreading.MaxDegreeOfParallelism"/> (P's rows and
/// Q's rows are split over cores, never a sum).</para>
/// <para>P and Q of several ranks can be all-reduced (<see cref="IsLinear"/> is true): the collective form orthonormalises the
/// summed P before computing Q.</para>
/// <para>Same-shape batching: with <c>matrices</c> &gt; 1 one call compresses that many same-shape matrices stacked in one buffer
/// (a (matrices * rows) x cols shape), so their P blocks and Q blocks travel as one message, one all-reduce each. Every matrix
/// is compressed exactly as a single-matrix <see cref="PowerSgd"/> with the same settings would compress it (each starts from
/// the same initial Q), bit for bit; the batch is sent dense when any of its matrices would be.</para>
/// </remarks>
public sealed unsafe class PowerSgd : ICompressor<LowRankMessage>, IStatefulPart
{
    private const float OrthonormalizeEpsilon = 1e-8f;

    private readonly ulong _seed;
    private ShapeGuard _shape;
    private float[]? _warmStartQ;
    private long _step;

    /// <param name="rank">Rank of the approximation; 1 to 32 and at most min(rows, cols) of every matrix it compresses.</param>
    /// <param name="warmUpSteps">Steps sent uncompressed before compression starts; at least 0.</param>
    /// <param name="seed">Seed of the initial Q.</param>
    /// <param name="matrices">Same-shape matrices stacked in every gradient (same-shape batching); at least 1. The gradient's shape
    /// is then (matrices * rows) x cols and its rows must divide evenly.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is outside 1..32, <paramref name="warmUpSteps"/> is negative
    /// or <paramref name="matrices"/> is below 1.</exception>
    public PowerSgd(int rank, int warmUpSteps = 0, ulong seed = 0, int matrices = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(warmUpSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(matrices, 1);
        Rank = rank;
        WarmUpSteps = warmUpSteps;
        Matrices = matrices;
        _seed = seed;
    }

    /// <summary>Rank of the approximation.</summary>
    public int Rank { get; }

    /// <summary>Steps sent uncompressed at the start.</summary>
    public int WarmUpSteps { get; }

    /// <summary>Same-shape matrices stacked in every gradient (1 without batching).</summary>
    public int Matrices { get; }

    /// <summary>Steps compressed so far (warm-up steps included).</summary>
    public long Step => _step;

    /// <inheritdoc/>
    public bool IsLinear => true;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shape does not match the gradient (names <c>gradient</c>), differs from the first
    /// step's or does not stack <see cref="Matrices"/> matrices (names <c>shape</c>), or rank exceeds min(rows, cols) of a matrix
    /// (names <c>rank</c>); nothing changes then.</exception>
    public LowRankMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        CheckStep(gradient, shape);
        if (!CompressesNextStep(shape))
        {
            CommitStep(shape, null);
            return LowRankMessage.Uncompressed(shape, gradient.ToArray());
        }
        float[] p = MultiplyByWarmStartQ(gradient, shape);
        if (!AllFinite(p))
        {
            CommitStep(shape, null);
            return LowRankMessage.Uncompressed(shape, gradient.ToArray());
        }
        OrthonormalizeBlocks(p, shape);
        float[] nextQ = MultiplyTransposedByP(gradient, p, shape);
        CommitStep(shape, nextQ);
        return LowRankMessage.Factors(shape, Rank, Matrices, p, (float[])nextQ.Clone());
    }

    /// <summary>Every check of <see cref="Compress"/>, changing nothing (the collective form runs them before any data moves).</summary>
    internal void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        _shape.Check(shape, nameof(PowerSgd));
        if (shape.Rows % Matrices != 0)
        {
            throw new ArgumentException($"shape {shape} does not stack {Matrices} matrices: its rows must be a multiple of {Matrices}.", nameof(shape));
        }
        int rows = shape.Rows / Matrices, cols = shape.Cols;
        if (Rank > Math.Min(rows, cols))
        {
            throw new ArgumentOutOfRangeException("rank", Rank, $"rank = {Rank} exceeds min(rows, cols) of the {rows} x {cols} matrices.");
        }
    }

    /// <summary>False during warm-up and for matrices whose factors would not be smaller: the next step is sent dense.</summary>
    internal bool CompressesNextStep(MatrixShape shape)
    {
        long rows = shape.Rows / Matrices, cols = shape.Cols;
        return _step >= WarmUpSteps && (rows + cols) * Rank < rows * cols;
    }

    /// <summary>Ends a step: binds the shape, counts the step and, when <paramref name="nextQ"/> is given, keeps it as the warm start.</summary>
    internal void CommitStep(MatrixShape shape, float[]? nextQ)
    {
        _shape.Shape = shape;
        _step++;
        if (nextQ is not null)
        {
            _warmStartQ = nextQ;
        }
    }

    /// <summary>P = M Q for every matrix of the batch, with the warm-start Q (or the seeded initial one).</summary>
    internal float[] MultiplyByWarmStartQ(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        int rows = shape.Rows / Matrices, cols = shape.Cols;
        float[] q = _warmStartQ ?? InitialQ(cols);
        var p = new float[shape.Rows * Rank];
        fixed (float* pm = gradient)
        fixed (float* pp = p)
        fixed (float* pq = q)
        {
            // Last block first, as the kernel walks rows bottom-up: the first rows Q's pass reads are then the ones still in the L3.
            for (int b = Matrices - 1; b >= 0; b--)
            {
                MultiplyByQ(pm + (long)b * rows * cols, pq + (long)b * cols * Rank, pp + (long)b * rows * Rank, rows, cols);
            }
        }
        return p;
    }

    /// <summary>Orthonormalises the columns of every P block in place (modified Gram-Schmidt, zero columns stay zero).</summary>
    internal void OrthonormalizeBlocks(float[] p, MatrixShape shape)
    {
        int rows = shape.Rows / Matrices;
        fixed (float* pp = p)
        {
            for (int b = 0; b < Matrices; b++)
            {
                Native.Check(NativeMethods.kn_orthonormalize_columns(pp + (long)b * rows * Rank, (nuint)rows, (nuint)Rank, OrthonormalizeEpsilon));
            }
        }
    }

    /// <summary>Q = M^T P for every matrix of the batch.</summary>
    internal float[] MultiplyTransposedByP(ReadOnlySpan<float> gradient, float[] p, MatrixShape shape)
    {
        int rows = shape.Rows / Matrices, cols = shape.Cols;
        var q = new float[Matrices * cols * Rank];
        fixed (float* pm = gradient)
        fixed (float* pp = p)
        fixed (float* pq = q)
        {
            for (int b = 0; b < Matrices; b++)
            {
                MultiplyTransposedByP(pm + (long)b * rows * cols, pp + (long)b * rows * Rank, pq + (long)b * cols * Rank, rows, cols);
            }
        }
        return q;
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
        int matrices = message.Matrices, rows = message.Shape.Rows / matrices, cols = message.Shape.Cols, rank = message.Rank;
        fixed (float* pp = message.P)
        fixed (float* pq = message.Q)
        fixed (float* pm = destination)
        {
            for (int b = 0; b < matrices; b++)
            {
                Native.Check(NativeMethods.kn_lowrank_p_qt(pp + (long)b * rows * rank, pq + (long)b * cols * rank, pm + (long)b * rows * cols,
                    (nuint)rows, (nuint)cols, (nuint)rank));
            }
        }
    }

    /// <summary>p = m q, its rows split over cores: each row of p is one range's work, so the bits do not depend on the split.</summary>
    private void MultiplyByQ(float* m, float* q, float* p, int rows, int cols)
    {
        int rank = Rank;
        int parts = WorkPartition.PartsFor(rows, bytesPerItem: (long)cols * sizeof(float));
        WorkPartition.Run(rows, parts, (start, count) =>
            NativeMethods.kn_lowrank_m_q(m + start * cols, q, p + start * rank, (nuint)count, (nuint)cols, (nuint)rank));
    }

    /// <summary>
    /// q = m^T p, the columns of m split over cores: each element of q still sums over all rows in ascending order, so the bits
    /// do not depend on the split.
    /// </summary>
    private void MultiplyTransposedByP(float* m, float* p, float* q, int rows, int cols)
    {
        int rank = Rank;
        int parts = WorkPartition.PartsFor(cols, bytesPerItem: (long)rows * sizeof(float));
        WorkPartition.Run(cols, parts, (start, count) =>
            NativeMethods.kn_lowrank_mt_p_strided(m + start, (nuint)cols, p, q + start * rank, (nuint)rows, (nuint)count, (nuint)rank));
    }

    /// <summary>The first step's Q of every matrix: the same standard normal values, so batching does not change any matrix's result.</summary>
    private float[] InitialQ(int cols)
    {
        int perMatrix = cols * Rank;
        var q = new float[Matrices * perMatrix];
        for (int i = 0; i < perMatrix; i++)
        {
            q[i] = SplitMix64.Normal(_seed, i);
        }
        for (int b = 1; b < Matrices; b++)
        {
            Array.Copy(q, 0, q, b * perMatrix, perMatrix);
        }
        return q;
    }

    internal static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) return false;
        }
        return true;
    }

    string IStatefulPart.StateKind => $"PowerSgd(rank={Rank}, warmUp={WarmUpSteps}, seed={_seed}{(Matrices > 1 ? $", matrices={Matrices}" : "")})";

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
            q = StateFormat.ReadFloats(reader, (long)Matrices * s.Cols * Rank, "warm-start Q");
        }
        return () =>
        {
            _shape.Shape = shape;
            _step = step;
            _warmStartQ = q;
        };
    }
}
