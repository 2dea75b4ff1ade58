using Kernels.Compression;

namespace Kernels.Tests.Compression;

/// <summary>A lossless "compressor" (a dense copy): with it, error feedback must not change the gradient.</summary>
internal sealed class IdentityCompressor : ICompressor<LowRankMessage>
{
    // PowerSGD sends its warm-up steps uncompressed: with an endless warm-up it is an exact copy.
    private readonly PowerSgd _alwaysWarmingUp = new(rank: 1, warmUpSteps: int.MaxValue);

    public bool IsLinear => true;

    public LowRankMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape) => _alwaysWarmingUp.Compress(gradient, shape);

    public void Decompress(LowRankMessage message, Span<float> destination) => _alwaysWarmingUp.Decompress(message, destination);
}
