using Kernels.Tests.Attention;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Base of the GPU FlashAttention fixtures: forward and backward run the same shapes, sized for a real device (full and
/// partial tiles at both head dims, every mask kind), in both half-precision storage types.
/// </summary>
public abstract class GpuFlashAttentionFixture : GpuFixture
{
    private static readonly AttentionCase[] Cases =
    [
        AttentionCase.Of("gqa-causal", 2, 1025, 1025, 4, 2, 128, causal: true),
        AttentionCase.Of("causal-long-q-window", 1, 300, 257, 2, 1, 64, causal: true, windowLeft: 40),
        AttentionCase.Of("softcap", 1, 97, 513, 2, 2, 64, softcap: 1.5f, scale: 0.5f),
    ];

    public static IEnumerable<TestCaseData> CaseData() => AttentionCase.InHalfPrecisions(Cases);
}
