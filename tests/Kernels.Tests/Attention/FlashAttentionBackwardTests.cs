using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>dQ, dK, dV against float64 analytic gradients on the CPU's best target.</summary>
public class FlashAttentionBackwardTests
{
    internal static readonly AttentionCase[] Cases =
    [
        AttentionCase.Of("single", 1, 1, 1, 1, 1, 32),
        AttentionCase.Of("causal-odd", 1, 97, 97, 2, 1, 59, causal: true),
        AttentionCase.Of("gqa-causal-short-q", 1, 97, 128, 4, 2, 64, causal: true),
        AttentionCase.Of("causal-long-q", 1, 128, 97, 1, 1, 128, causal: true),
        AttentionCase.Of("d256-value-dim", 1, 97, 97, 1, 1, 256, valueHeadDim: 111),
        AttentionCase.Of("window-both", 1, 97, 128, 2, 2, 32, windowLeft: 5, windowRight: 9),
        AttentionCase.Of("softcap", 1, 97, 97, 2, 2, 64, softcap: 1.5f, scale: 0.5f),
    ];

    public static IEnumerable<TestCaseData> CaseData() =>
        from storage in Enum.GetValues<Storage>()
        from c in Cases
        select new TestCaseData(storage, c).SetArgDisplayNames(storage.ToString(), c.Name);

    [TestCaseSource(nameof(CaseData))]
    public void MatchesFloat64Gradients(Storage storage, AttentionCase c) => storage.Run(new BackwardCase(c));

    private sealed record BackwardCase(AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged =>
            AttentionChecks.Backward<T>(Case, seed: Case.Name.Length * 17, AttentionChecks.BackwardTolerance<T>());
    }
}
