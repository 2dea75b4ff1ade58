using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>The forward kernel against float64 attention on the CPU's best target; every target: <see cref="AttentionTargetTests"/>.</summary>
public class FlashAttentionForwardTests
{
    /// <summary>Sequence lengths 1, 97, 128; head dims 32, 59, 64, 111, 128, 256; every mask feature; not the full cross product.</summary>
    internal static readonly AttentionCase[] Cases =
    [
        AttentionCase.Of("single", 1, 1, 1, 1, 1, 32),
        AttentionCase.Of("causal-odd", 1, 97, 97, 2, 1, 59, causal: true),
        AttentionCase.Of("full-tiles", 2, 128, 128, 2, 2, 64),
        AttentionCase.Of("gqa-causal-short-q", 1, 97, 128, 4, 2, 111, causal: true),
        AttentionCase.Of("causal-long-q", 1, 128, 97, 2, 1, 128, causal: true),
        AttentionCase.Of("d256", 1, 97, 97, 1, 1, 256),
        AttentionCase.Of("mqa-decode", 2, 1, 128, 4, 1, 64, causal: true),
        AttentionCase.Of("window-causal", 1, 128, 128, 2, 1, 64, causal: true, windowLeft: 17),
        AttentionCase.Of("window-both", 1, 97, 128, 2, 2, 32, windowLeft: 5, windowRight: 9),
        AttentionCase.Of("window-empty-rows", 1, 128, 97, 1, 1, 64, windowLeft: 0, windowRight: 0),
        AttentionCase.Of("softcap", 1, 97, 97, 2, 2, 64, softcap: 1.5f, scale: 0.5f),
        AttentionCase.Of("value-dim", 1, 97, 128, 2, 1, 64, valueHeadDim: 32, causal: true),
        AttentionCase.Of("seq-k-zero", 1, 7, 0, 1, 1, 32),
    ];

    public static IEnumerable<TestCaseData> CaseData() =>
        from storage in Enum.GetValues<Storage>()
        from c in Cases
        select new TestCaseData(storage, c).SetArgDisplayNames(storage.ToString(), c.Name);

    [TestCaseSource(nameof(CaseData))]
    public void MatchesFloat64Reference(Storage storage, AttentionCase c) => storage.Run(new ForwardCase(c));

    [Test]
    public void LongCausalSequenceF32() =>
        AttentionChecks.Forward<float>(AttentionCase.Of("long", 1, 1025, 1025, 1, 1, 64, causal: true), seed: 5);

    /// <summary>Few query rows over many keys take the split-KV path (key ranges merged exactly).</summary>
    public static IEnumerable<TestCaseData> DecodeData() =>
        from storage in Enum.GetValues<Storage>()
        select new TestCaseData(storage).SetArgDisplayNames(storage.ToString());

    [TestCaseSource(nameof(DecodeData))]
    public void SplitKeyDecodeMatchesFloat64Reference(Storage storage)
    {
        storage.Run(new ForwardCase(AttentionCase.Of("decode-split", 1, 3, 4100, 2, 1, 64, causal: true, windowLeft: 3000)));
        storage.Run(new ForwardCase(AttentionCase.Of("decode-split-window-empty-split", 1, 1, 2500, 1, 1, 32, windowLeft: 200)));
    }

    private sealed record ForwardCase(AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged => AttentionChecks.Forward<T>(Case, seed: Case.Name.Length * 131);
    }
}
