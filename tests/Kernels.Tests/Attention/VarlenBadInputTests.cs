using Kernels.Attention;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>
/// Bad offsets, heads, options and lengths of the packed variable-length calls throw an ArgumentException naming the
/// argument before native code runs; outputs stay untouched.
/// </summary>
public class VarlenBadInputTests
{
    private const float Sentinel = 12345f;
    private static readonly AttentionHeads Heads = new(4, 2, 8, 6);

    /// <summary>Two sequences of 2 + 3 queries over 4 + 1 keys.</summary>
    private static readonly int[] GoodQ = [0, 2, 5], GoodK = [0, 4, 5];

    private sealed class Buffers(int totalQ, int totalK)
    {
        public float[] Q = new float[totalQ * 4 * 8], K = new float[totalK * 2 * 8], V = new float[totalK * 2 * 6];
        public float[] O = Filled(totalQ * 4 * 6), Lse = Filled(totalQ * 4), DO = new float[totalQ * 4 * 6];
        public float[] DQ = Filled(totalQ * 4 * 8), DK = Filled(totalK * 2 * 8), DV = Filled(totalK * 2 * 6);

        private static float[] Filled(int length) => Enumerable.Repeat(Sentinel, length).ToArray();

        public void AssertUntouched()
        {
            foreach (float[] output in new[] { O, Lse, DQ, DK, DV })
            {
                Assert.That(output, Is.All.EqualTo(Sentinel), "an output was written");
            }
        }
    }

    public static IEnumerable<TestCaseData> BadOffsets()
    {
        yield return new TestCaseData(new[] { 0, -1, 5 }, GoodK, "cuSeqlensQ").SetArgDisplayNames("negative-q");
        yield return new TestCaseData(GoodQ, new[] { 0, 6, 5 }, "cuSeqlensK").SetArgDisplayNames("decreasing-k");
        yield return new TestCaseData(new[] { 0, 3, 2, 5 }, new[] { 0, 1, 4, 5 }, "cuSeqlensQ").SetArgDisplayNames("decreasing-q");
        yield return new TestCaseData(new[] { 1, 2, 5 }, GoodK, "cuSeqlensQ").SetArgDisplayNames("first-not-zero");
        yield return new TestCaseData(GoodQ, new[] { 0, 4, 6 }, "cuSeqlensK").SetArgDisplayNames("last-past-total-k");
        yield return new TestCaseData(new[] { 0, 2, 4 }, GoodK, "cuSeqlensQ").SetArgDisplayNames("last-short-of-total-q");
        yield return new TestCaseData(GoodQ, new[] { 0, 5 }, "cuSeqlensK").SetArgDisplayNames("different-lengths");
        yield return new TestCaseData(Array.Empty<int>(), Array.Empty<int>(), "cuSeqlensQ").SetArgDisplayNames("empty");
    }

    [TestCaseSource(nameof(BadOffsets))]
    public void BadOffsetsAreRejected(int[] cuSeqlensQ, int[] cuSeqlensK, string parameter)
    {
        var b = new Buffers(5, 5);
        Expect(parameter, () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, cuSeqlensQ, cuSeqlensK, Heads));
        Expect(parameter, () => FlashAttention.BackwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ, b.DK, b.DV,
            cuSeqlensQ, cuSeqlensK, Heads));
        b.AssertUntouched();
    }

    public static IEnumerable<TestCaseData> BadHeads()
    {
        yield return new TestCaseData(Heads with { Heads = 3 }).SetArgDisplayNames("heads-not-multiple");
        yield return new TestCaseData(Heads with { KvHeads = 0 }).SetArgDisplayNames("kv-heads-zero");
        yield return new TestCaseData(Heads with { HeadDim = 0 }).SetArgDisplayNames("head-dim-zero");
        yield return new TestCaseData(Heads with { ValueHeadDim = 257 }).SetArgDisplayNames("value-dim-257");
    }

    [TestCaseSource(nameof(BadHeads))]
    public void BadHeadsAreRejected(AttentionHeads heads)
    {
        var b = new Buffers(5, 5);
        Expect("heads", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, GoodQ, GoodK, heads));
        Expect("heads", () => FlashAttention.BackwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ, b.DK, b.DV, GoodQ, GoodK, heads));
        b.AssertUntouched();
    }

    [Test]
    public void BadOptionsAreRejected()
    {
        var b = new Buffers(5, 5);
        var options = new AttentionOptions { WindowLeft = -3 };
        Expect("options", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, GoodQ, GoodK, Heads, options));
        b.AssertUntouched();
    }

    [Test]
    public void WrongLengthsAreRejected()
    {
        var b = new Buffers(5, 5);
        Expect("q", () => FlashAttention.ForwardVarlen<float>(b.Q.AsSpan(1), b.K, b.V, b.O, b.Lse, GoodQ, GoodK, Heads));
        Expect("k", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K.AsSpan(3), b.V, b.O, b.Lse, GoodQ, GoodK, Heads));
        Expect("v", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V.AsSpan(12), b.O, b.Lse, GoodQ, GoodK, Heads));
        Expect("o", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V, b.O.AsSpan(1), b.Lse, GoodQ, GoodK, Heads));
        Expect("lse", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse.AsSpan(4), GoodQ, GoodK, Heads));
        Expect("dq", () => FlashAttention.BackwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ.AsSpan(1), b.DK, b.DV, GoodQ, GoodK, Heads));
        Expect("dv", () => FlashAttention.BackwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ, b.DK, b.DV.AsSpan(1), GoodQ, GoodK, Heads));
        b.AssertUntouched();
    }

    [Test]
    public void OverlappingOutputIsRejected()
    {
        var b = new Buffers(5, 5);
        Expect("o", () => FlashAttention.ForwardVarlen<float>(b.Q, b.K, b.V, b.Q.AsSpan(0, b.O.Length), b.Lse, GoodQ, GoodK, Heads));
        Expect("dk", () => FlashAttention.BackwardVarlen<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ, b.K, b.DV, GoodQ, GoodK, Heads));
        b.AssertUntouched();
    }

    private static void Expect(string parameter, TestDelegate call) =>
        Assert.That(call, Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo(parameter));
}
