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
    public SignMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        (uint[] signs, float[] scales) = Allocate(gradient.Length);
        fixed (float* px = gradient)
        fixed (uint* ps = signs)
        fixed (float* pc = scales)
        {
            Native.Check(NativeMethods.kn_onebit_compress(px, (nuint)gradient.Length, (nuint)ChunkSize, _kind, ps, pc));
        }
        return new SignMessage(shape, ChunkSize, signs, scales);
    }

    SignMessage IFusedErrorFeedback<SignMessage>.CompressWithResidual(ReadOnlySpan<float> gradient, MatrixShape shape, Span<float> residual)
    {
        (uint[] signs, float[] scales) = Allocate(gradient.Length);
        fixed (float* pg = gradient)
        fixed (float* pe = residual)
        fixed (uint* ps = signs)
        fixed (float* pc = scales)
        {
            Native.Check(NativeMethods.kn_onebit_compress_ef(pg, pe, (nuint)gradient.Length, (nuint)ChunkSize, _kind, ps, pc, pe));
        }
        return new SignMessage(shape, ChunkSize, signs, scales);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The message was made with another chunk size (names <c>message</c>) or
    /// <paramref name="destination"/> has the wrong length.</exception>
    public void Decompress(SignMessage message, Span<float> destination)
    {
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
        fixed (float* pd = destination)
        {
            Native.Check(NativeMethods.kn_onebit_decompress(ps, pc, (nuint)destination.Length, (nuint)ChunkSize, pd));
        }
    }

    private (uint[] Signs, float[] Scales) Allocate(int length) =>
        (new uint[(length + 31) / 32], new float[((long)length + ChunkSize - 1) / ChunkSize]);

    string IStatefulPart.StateKind => $"OneBit(chunk={ChunkSize}, scale={Scale})";

    void IStatefulPart.SaveState(BinaryWriter writer)
    {
    }

    Action IStatefulPart.ReadState(BinaryReader reader) => () => { };
}
