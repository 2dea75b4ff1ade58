using Kernels.Interop;

namespace Kernels.Compression;

/// <summary>
/// Top-k sparsification: keeps the k elements of largest magnitude as (index, value) pairs, indices ascending.
/// </summary>
/// <remarks>
/// <para>Magnitude order: |x| compared as its bit pattern; every NaN ranks above +Infinity (so a NaN gradient is always
/// sent and shows up at the receiver), NaNs tie with each other, and ties go to the lower index. Values are sent bit for bit.</para>
/// <para>Messages of different ranks hold different indices, so they are aggregated by gathering (<see cref="IsLinear"/> is false).</para>
/// <para>The sampled variant draws its sample positions from SplitMix64 seeded by the seed and the step number, so a run is
/// reproducible and its step counter is part of the saved state.</para>
/// </remarks>
public sealed unsafe class TopK : ICompressor<SparseMessage>, IStatefulPart
{
    private readonly TopKMethod _method;
    private readonly int _sampleSize;
    private readonly ulong _seed;
    private readonly double _capacityFactor;
    private long _step;

    /// <summary>Exact top-k.</summary>
    /// <param name="k">Elements to keep; at least 1 and at most the gradient's length.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public TopK(int k) : this(k, TopKMethod.Exact, 0, 0, 1)
    {
    }

    private TopK(int k, TopKMethod method, int sampleSize, ulong seed, double capacityFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
        _method = method;
        _sampleSize = sampleSize;
        _seed = seed;
        _capacityFactor = capacityFactor;
    }

    /// <summary>Sampled-threshold top-k (Deep Gradient Compression).</summary>
    /// <param name="k">Elements wanted; at least 1 and at most the gradient's length.</param>
    /// <param name="sampleSize">Positions sampled (with replacement) to estimate the threshold; at least 1.</param>
    /// <param name="seed">Seed of the sample positions; step t uses a stream derived from (seed, t).</param>
    /// <param name="capacityFactor">At most ceil(k * capacityFactor) elements are kept; when more pass the threshold the exact
    /// top-k is sent instead. At least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range (the exception names it).</exception>
    public static TopK Sampled(int k, int sampleSize, ulong seed, double capacityFactor = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleSize, 1);
        if (!(capacityFactor >= 1) || double.IsInfinity(capacityFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(capacityFactor), capacityFactor, "capacityFactor must be finite and at least 1.");
        }
        return new TopK(k, TopKMethod.SampledThreshold, sampleSize, seed, capacityFactor);
    }

    /// <summary>Elements to keep.</summary>
    public int K { get; }

    /// <inheritdoc/>
    public bool IsLinear => false;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shape does not match the gradient (names <c>gradient</c>), or k exceeds its length (names <c>k</c>).</exception>
    public SparseMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        if (K > gradient.Length)
        {
            throw new ArgumentOutOfRangeException("k", K, $"k = {K} exceeds the gradient's {gradient.Length} elements.");
        }
        int capacity = _method == TopKMethod.Exact ? K : (int)Math.Min(gradient.Length, Math.Ceiling(K * _capacityFactor));
        var indices = new int[capacity];
        var values = new float[capacity];
        int count;
        fixed (float* px = gradient)
        fixed (int* pi = indices)
        fixed (float* pv = values)
        {
            if (_method == TopKMethod.Exact)
            {
                Native.Check(NativeMethods.kn_topk_exact(px, (nuint)gradient.Length, (nuint)K, (uint*)pi, pv));
                count = K;
            }
            else
            {
                nuint kept;
                ulong stepSeed = _seed ^ SplitMix64.Mix((ulong)_step);
                Native.Check(NativeMethods.kn_topk_sampled(px, (nuint)gradient.Length, (nuint)K, (nuint)_sampleSize, stepSeed,
                    (nuint)capacity, (uint*)pi, pv, &kept));
                count = (int)kept;
                _step++;
            }
        }
        return new SparseMessage(shape, indices, values, count);
    }

    /// <inheritdoc/>
    public void Decompress(SparseMessage message, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (destination.Length != message.Shape.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} elements but the message stands for {message.Shape.Length}.", nameof(destination));
        }
        destination.Clear();
        Sparse.Scatter(message.Indices, message.Values, destination);
    }

    string IStatefulPart.StateKind => $"TopK(k={K}, method={_method}, sample={_sampleSize}, seed={_seed}, capacity={_capacityFactor:R})";

    void IStatefulPart.SaveState(BinaryWriter writer) => writer.Write(_step);

    Action IStatefulPart.ReadState(BinaryReader reader)
    {
        long step = reader.ReadInt64();
        if (step < 0)
        {
            throw StateFormat.Invalid($"its step counter is negative ({step}).");
        }
        return () => _step = step;
    }
}
