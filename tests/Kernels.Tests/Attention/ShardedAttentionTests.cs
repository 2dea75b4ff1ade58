using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>
/// Ring and Ulysses attention over 2..4 in-process ranks equal single-rank <see cref="FlashAttention"/> on the whole
/// sequence. Tolerance (the merge order differs from the single-rank tile order, so rounding differs): in f32, every
/// output, log-sum-exp and gradient within 2e-5 x max(1, max |reference|) of the single-rank value; in bf16, each
/// backward partial is rounded to bf16 before it is summed, so 2^-6 x max(1, max |reference|). Ulysses runs the same whole-sequence
/// kernel on each head, so in f32 it is bitwise equal.
/// </summary>
[NonParallelizable]
public class ShardedAttentionTests
{
    internal const double F32Tolerance = 2e-5;
    internal const double Bf16Tolerance = 1.0 / 64;

    /// <summary>Batch 2 (chunk views stride over the batch), GQA 4/2, 48 positions: 2..4 ranks x 1 or 2 chunks divide it.</summary>
    internal static AttentionCase Case(bool causal, int heads = 4, int kvHeads = 2) =>
        AttentionCase.Of("sharded", 2, 48, 48, heads, kvHeads, 16, causal: causal);

    [Test]
    public void RingEqualsSingleRank([Values(2, 3, 4)] int ranks, [Values] bool causal) =>
        Check<float>(Case(causal), ranks, SequenceParallel.Ring, SequenceLayout.Zigzag, F32Tolerance);

    [Test]
    public void RingWithContiguousShardsEqualsSingleRank([Values(2, 3)] int ranks) =>
        Check<float>(Case(causal: true), ranks, SequenceParallel.Ring, SequenceLayout.Contiguous, F32Tolerance);

    [Test]
    public void RingWithMultiQueryAndValueHeadDimEqualsSingleRank() =>
        Check<float>(AttentionCase.Of("mqa", 1, 64, 64, 3, 1, 24, valueHeadDim: 8, causal: true, softcap: 5), 2,
            SequenceParallel.Ring, SequenceLayout.Zigzag, F32Tolerance);

    [Test]
    public void RingInBFloat16EqualsSingleRank() =>
        Check<BFloat16>(Case(causal: true), 2, SequenceParallel.Ring, SequenceLayout.Zigzag, Bf16Tolerance);

    [Test]
    public void UlyssesEqualsSingleRank([Values(2, 3, 4)] int ranks, [Values] bool causal, [Values] SequenceLayout layout) =>
        Check<float>(Case(causal, heads: 2 * ranks, kvHeads: ranks), ranks, SequenceParallel.Ulysses, layout, tolerance: 0);

    [Test]
    public void UlyssesKeepsSlidingWindows() =>
        Check<float>(AttentionCase.Of("window", 1, 48, 48, 4, 2, 16, causal: true, windowLeft: 10), 2,
            SequenceParallel.Ulysses, SequenceLayout.Zigzag, tolerance: 0);

    [Test]
    public void BitwiseIdenticalAcrossRuns([Values] SequenceParallel algorithm)
    {
        AttentionCase c = Case(causal: true, heads: 6, kvHeads: 3);
        AttentionInputs<float> x = c.Inputs<float>(seed: 5);
        AttentionResults<float> first = ShardedAttentionRun.Sharded(c, x, 3, algorithm, SequenceLayout.Zigzag);
        AttentionResults<float> second = ShardedAttentionRun.Sharded(c, x, 3, algorithm, SequenceLayout.Zigzag);
        Compare.Bitwise<float>(second.O, first.O, "o");
        Compare.Bitwise<float>(second.Lse, first.Lse, "lse");
        Compare.Bitwise<float>(second.DQ, first.DQ, "dq");
        Compare.Bitwise<float>(second.DK, first.DK, "dk");
        Compare.Bitwise<float>(second.DV, first.DV, "dv");
    }

    private static void Check<T>(AttentionCase c, int ranks, SequenceParallel algorithm, SequenceLayout layout, double tolerance)
        where T : unmanaged
    {
        AttentionInputs<T> x = c.Inputs<T>(seed: 11);
        AttentionResults<T> expected = ShardedAttentionRun.SingleRank(c, x);
        AttentionResults<T> actual = ShardedAttentionRun.Sharded(c, x, ranks, algorithm, layout);
        AssertNear(actual, expected, tolerance, $"{algorithm} {layout} over {ranks} ranks, {c}");
    }

    /// <summary>Every output, log-sum-exp and gradient within <paramref name="tolerance"/> x max(1, max |single-rank|).</summary>
    internal static void AssertNear<T>(AttentionResults<T> actual, AttentionResults<T> expected, double tolerance, string context)
        where T : unmanaged
    {
        Near<T>(actual.O, expected.O, tolerance, $"o of {context}");
        Near<float>(actual.Lse, expected.Lse, tolerance, $"lse of {context}");
        Near<T>(actual.DQ, expected.DQ, tolerance, $"dq of {context}");
        Near<T>(actual.DK, expected.DK, tolerance, $"dk of {context}");
        Near<T>(actual.DV, expected.DV, tolerance, $"dv of {context}");
    }

    private static void Near<T>(T[] actual, T[] expected, double tolerance, string context) where T : unmanaged
    {
        double[] a = ToDouble(actual), e = ToDouble(expected);
        double bound = tolerance * Math.Max(1, e.Max(Math.Abs));
        for (int i = 0; i < a.Length; i++)
        {
            if (!(Math.Abs(a[i] - e[i]) <= bound))
            {
                Assert.Fail($"{context}: element {i} is {a[i]}, single rank gives {e[i]} (bound {bound:G3}).");
            }
        }
    }

    private static double[] ToDouble<T>(T[] values) where T : unmanaged
    {
        var widened = new float[values.Length];
        Conversion.Convert<T, float>(values, widened);
        return widened.Select(f => (double)f).ToArray();
    }
}
