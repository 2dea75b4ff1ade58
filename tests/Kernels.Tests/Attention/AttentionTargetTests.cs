using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>A reduced set of forward, backward, packed variable-length and merge cases on every SIMD target this CPU supports.</summary>
[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class AttentionTargetTests(string target) : PerTargetFixture(target)
{
    private static readonly AttentionCase[] ForwardCases =
    [
        AttentionCase.Of("gqa-causal-short-q", 1, 97, 128, 4, 2, 111, causal: true),
        AttentionCase.Of("causal-long-q", 1, 128, 97, 1, 1, 64, causal: true),
        AttentionCase.Of("window-softcap", 1, 97, 97, 2, 1, 32, windowLeft: 7, windowRight: 3, softcap: 2f, scale: 0.5f),
        AttentionCase.Of("d256-value-dim", 1, 65, 65, 1, 1, 256, valueHeadDim: 59),
        // Few query rows (keys on the lanes), masked: a causal window over a tile of 20 rows.
        AttentionCase.Of("short-rows-window", 1, 20, 150, 2, 1, 59, causal: true, windowLeft: 30, softcap: 2f),
        // Grouped-query decode: 4 query heads per kv head packed as rows, split over the keys.
        AttentionCase.Of("gqa-decode-split", 2, 1, 2100, 8, 2, 64, causal: true),
    ];

    [Test]
    public void ForwardMatchesFloat64Reference([Values] Storage storage) => storage.Run(new ForwardCaseSet());

    [Test]
    public void BackwardMatchesFloat64Gradients([Values] Storage storage) => storage.Run(new BackwardCase());

    /// <summary>Packed sequences of unequal query and key lengths (one empty on each side), forward and backward.</summary>
    [Test]
    public void VarlenMatchesFloat64Reference([Values] Storage storage)
    {
        storage.Run(new VarlenAttentionTests.ForwardCheck(VarlenAttentionTests.Cases[1]));
        storage.Run(new VarlenAttentionTests.BackwardCheck(VarlenAttentionTests.Cases[1]));
    }

    [Test]
    public void MergeOfKeyHalvesEqualsFullAttention() => AttentionMergeTests.KeyHalvesMergeToFull(TargetName);

    private sealed record ForwardCaseSet : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (AttentionCase c in ForwardCases)
            {
                AttentionChecks.Forward<T>(c, seed: 3);
            }
        }
    }

    private sealed record BackwardCase : IStorageTest
    {
        public void Run<T>() where T : unmanaged =>
            AttentionChecks.Backward<T>(AttentionCase.Of("gqa-window-softcap", 1, 97, 80, 2, 1, 59, causal: true, windowLeft: 40, softcap: 3f),
                seed: 9, AttentionChecks.BackwardTolerance<T>());
    }
}
