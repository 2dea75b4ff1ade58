using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Compression;

/// <summary>
/// 1-bit compression: one sign bit per element and one scale per chunk; element i decompresses to
/// <c>-scale</c> when x[i] &lt; 0 and to <c>+scale</c> otherwise.
/// </summary>
/// <remarks>
/// <para>Bits: element i is bit i % 32 of word i / 32; a set bit means negative. +0 and -0 are both non-negative;
/// a NaN counts as negative when its sign bit is set.</para>
/// <para>NaN and infinities are left out of their chunk's scale (it is computed over the finite elements, 0 when there are
/// none), so they never change how the other elements decompress; with error feedback the non-finite value stays in that
/// element's residual only.</para>
/// <para>The scale's sum has a fixed order (16 partial sums combined pairwise), so every SIMD target produces the same bits.
/// Messages are aggregated by gathering (<see cref="IsLinear"/> is false). With <see cref="ErrorFeedback.Ef14"/> the compress
/// and residual update run as one fused native pass.</para>
/// <para>Gradients may be <see cref="Half"/> or <see cref="BFloat16"/> (<see cref="Compress{T}"/>, <see cref="CompressWithResidual{T}"/>,
/// <see cref="Decompress{T}"/>): storage only, every step computes in fp32 and residuals stay fp32.</para>
/// </remarks>
public sealed unsafe class OneBit : ICompressor<SignMessage>, IFusedErrorFeedback<SignMessage>, IStatefulPart
{
    private readonly kn_scale_kind _kind;

    /// <param name="chunkSize">Elements per scale; at least 1. Chunks up to a few thousand elements stay in L1/L2 between the
    /// kernel's two passes over them.</param>
    /// <param name="scale">How a chunk's scale is computed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is below 1, or <paramref name="scale"/> is undefined.</exception>
    public OneBit(int chunkSize = 2048, OneBitScale scale = OneBitScale.MeanAbs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        _kind = scale switch
        {
            OneBitScale.MeanAbs => kn_scale_kind.KN_SCALE_MEAN_ABS,
            OneBitScale.Rms => kn_scale_kind.KN_SCALE_RMS,
            _ => throw new ArgumentOutOfRangeException(nameof(scale), scale, "Undefined OneBitScale value."),
        };
        ChunkSize = chunkSize;
        Scale = scale;
    }

    /// <summary>Elements per scale.</summary>
    public int ChunkSize { get; }

    /// <summary>How a chunk's scale is computed.</summary>
    public OneBitScale Scale { get; }

    /// <inheritdoc/>
    public bool IsLinear => false;

    /// <inheritdoc/>
    public SignMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape) => Compress<float>(gradient, shape);

    /// <summary>Compresses a gradient stored as <typeparamref name="T"/>: each element is widened to fp32 exactly, so the message
    /// is the one <see cref="Compress(ReadOnlySpan{float}, MatrixShape)"/> gives for the widened values.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="Half"/> or <see cref="BFloat16"/>.</typeparam>
    /// <exception cref="ArgumentException">The shape does not match the gradient's length.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public SignMessage Compress<T>(ReadOnlySpan<T> gradient, MatrixShape shape) where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        (uint[] signs, float[] scales) = Allocate(gradient.Length);
        fixed (T* px = gradient)
        fixed (uint* ps = signs)
        fixed (float* pc = scales)
        {
            byte* x = (byte*)px;
            uint* s = ps;
            float* c = pc;
            RunOverChunks(gradient.Length, bytesPerElement: sizeof(T), (start, count) =>
                NativeMethods.kn_onebit_compress_typed(dtype, x + start * sizeof(T), (nuint)count, (nuint)ChunkSize, _kind, s + start / 32,
                    c + start / ChunkSize));
        }
        return new SignMessage(shape, ChunkSize, signs, scales);
    }

    SignMessage IFusedErrorFeedback<SignMessage>.CompressWithResidual(ReadOnlySpan<float> gradient, MatrixShape shape, Span<float> residual) =>
        CompressWithResidual<float>(gradient, shape, residual);

    /// <summary>
    /// EF14's step in one fused pass, for a gradient stored as <typeparamref name="T"/> and a caller-owned fp32 residual:
    /// <c>c = g + e</c> in fp32, returns the message of <c>c</c> and updates <c>e = -(decompress(message) - c)</c> in place.
    /// With <see cref="float"/> it is what <see cref="ErrorFeedback.Ef14"/> runs for this compressor.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="Half"/> or <see cref="BFloat16"/>; the residual is fp32 whatever the gradient's type.</typeparam>
    /// <exception cref="ArgumentException">The shape does not match the gradient (names <c>gradient</c>) or the residual's length
    /// differs from the gradient's (names <c>residual</c>); the residual is then unchanged.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public SignMessage CompressWithResidual<T>(ReadOnlySpan<T> gradient, MatrixShape shape, Span<float> residual) where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        if (residual.Length != gradient.Length)
        {
            throw new ArgumentException($"residual has {residual.Length} elements but the gradient has {gradient.Length}.", nameof(residual));
        }
        (uint[] signs, float[] scales) = Allocate(gradient.Length);
        fixed (T* pg = gradient)
        fixed (float* pe = residual)
        fixed (uint* ps = signs)
        fixed (float* pc = scales)
        {
            byte* g = (byte*)pg;
            float* e = pe;
            uint* s = ps;
            float* c = pc;
            RunOverChunks(gradient.Length, bytesPerElement: sizeof(T) + 2 * sizeof(float), (start, count) =>
                NativeMethods.kn_onebit_compress_ef_typed(dtype, g + start * sizeof(T), e + start, (nuint)count, (nuint)ChunkSize, _kind,
                    s + start / 32, c + start / ChunkSize, e + start));
        }
        return new SignMessage(shape, ChunkSize, signs, scales);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The message was made with another chunk size (names <c>message</c>) or
    /// <paramref name="destination"/> has the wrong length.</exception>
    public void Decompress(SignMessage message, Span<float> destination) => Decompress<float>(message, destination);

    /// <summary>Writes <c>+-scale</c> per element as <typeparamref name="T"/>, rounded to nearest even (a scale beyond
    /// <see cref="Half"/>'s range becomes an infinity).</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="Half"/> or <see cref="BFloat16"/>.</typeparam>
    /// <exception cref="ArgumentException">The message was made with another chunk size (names <c>message</c>) or
    /// <paramref name="destination"/> has the wrong length.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is another type.</exception>
    public void Decompress<T>(SignMessage message, Span<T> destination) where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        ArgumentNullException.ThrowIfNull(message);
        if (message.ChunkSize != ChunkSize)
        {
            throw new ArgumentException($"The message has chunk size {message.ChunkSize}; this compressor uses {ChunkSize}.", nameof(message));
        }
        if (destination.Length != message.Shape.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} elements but the message stands for {message.Shape.Length}.", nameof(destination));
        }
        fixed (uint* ps = message.Signs)
        fixed (float* pc = message.Scales)
        fixed (T* pd = destination)
        {
            uint* s = ps;
            float* c = pc;
            byte* d = (byte*)pd;
            RunOverChunks(destination.Length, bytesPerElement: sizeof(T), (start, count) =>
                NativeMethods.kn_onebit_decompress_typed(s + start / 32, c + start / ChunkSize, (nuint)count, (nuint)ChunkSize, dtype,
                    d + start * sizeof(T)));
        }
    }

    private (uint[] Signs, float[] Scales) Allocate(int length) =>
        (GC.AllocateUninitializedArray<uint>((length + 31) / 32), GC.AllocateUninitializedArray<float>((int)(((long)length + ChunkSize - 1) / ChunkSize)));

    /// <summary>
    /// Splits [0, length) over cores at multiples of lcm(chunk, 32) elements: every range starts a chunk and a sign word, so
    /// ranges share neither, and each chunk is computed exactly as in one call (the same bits for any thread count).
    /// </summary>
    private void RunOverChunks(int length, int bytesPerElement, WorkPartition.RangeKernel kernel)
    {
        // lcm(chunk, 32) = chunk * 32 / gcd, and gcd(chunk, 32) is the power of two dividing chunk, capped at 32.
        long alignment = (long)ChunkSize * 32 >> Math.Min(5, System.Numerics.BitOperations.TrailingZeroCount(ChunkSize));
        int parts = WorkPartition.PartsFor(length, bytesPerElement, minItemsPerPart: alignment);
        WorkPartition.Run(length, parts, kernel, alignment);
    }

    string IStatefulPart.StateKind => $"OneBit(chunk={ChunkSize}, scale={Scale})";

    void IStatefulPart.SaveState(BinaryWriter writer)
    {
    }

    Action IStatefulPart.ReadState(BinaryReader reader) => () => { };
}
