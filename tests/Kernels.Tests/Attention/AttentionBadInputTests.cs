using Kernels.Attention;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>Every rejected argument throws an ArgumentException naming it before native code runs; outputs stay untouched.</summary>
public class AttentionBadInputTests
{
    private const float Sentinel = 12345f;
    private static readonly AttentionShape Good = new(2, 5, 7, 4, 2, 8, 6);

    private sealed class Buffers(AttentionShape shape)
    {
        public float[] Q = new float[shape.QueryLength], K = new float[shape.KeyLength], V = new float[shape.ValueLength];
        public float[] O = Filled(shape.OutputLength), Lse = Filled(shape.RowCount), DO = new float[shape.OutputLength];
        public float[] DQ = Filled(shape.QueryLength), DK = Filled(shape.KeyLength), DV = Filled(shape.ValueLength);

        private static float[] Filled(long length) => Enumerable.Repeat(Sentinel, (int)length).ToArray();

        public void AssertUntouched()
        {
            foreach (float[] output in new[] { O, Lse, DQ, DK, DV })
            {
                Assert.That(output, Is.All.EqualTo(Sentinel), "an output was written");
            }
        }
    }

    public static IEnumerable<TestCaseData> BadShapes()
    {
        yield return new TestCaseData(Good with { Heads = 3 }).SetArgDisplayNames("heads-not-multiple");
        yield return new TestCaseData(Good with { KvHeads = 0 }).SetArgDisplayNames("kv-heads-zero");
        yield return new TestCaseData(Good with { HeadDim = 0 }).SetArgDisplayNames("head-dim-zero");
        yield return new TestCaseData(Good with { HeadDim = 257 }).SetArgDisplayNames("head-dim-257");
        yield return new TestCaseData(Good with { ValueHeadDim = 0 }).SetArgDisplayNames("value-dim-zero");
        yield return new TestCaseData(Good with { ValueHeadDim = 300 }).SetArgDisplayNames("value-dim-300");
        yield return new TestCaseData(Good with { SeqQ = -1 }).SetArgDisplayNames("negative-seq");
        yield return new TestCaseData(Good with { Batch = -2 }).SetArgDisplayNames("negative-batch");
    }

    [TestCaseSource(nameof(BadShapes))]
    public void BadShapeIsRejected(AttentionShape shape)
    {
        var b = new Buffers(Good);
        Expect("shape", () => FlashAttention.Forward<float>(b.Q, b.K, b.V, b.O, b.Lse, shape));
        Expect("shape", () => FlashAttention.Backward<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ, b.DK, b.DV, shape));
        b.AssertUntouched();
    }

    public static IEnumerable<TestCaseData> BadOptions()
    {
        yield return new TestCaseData(new AttentionOptions { Scale = float.NaN }).SetArgDisplayNames("scale-nan");
        yield return new TestCaseData(new AttentionOptions { Scale = float.PositiveInfinity }).SetArgDisplayNames("scale-inf");
        yield return new TestCaseData(new AttentionOptions { WindowLeft = -2 }).SetArgDisplayNames("window-left-below-minus-one");
        yield return new TestCaseData(new AttentionOptions { WindowRight = -5 }).SetArgDisplayNames("window-right-below-minus-one");
        yield return new TestCaseData(new AttentionOptions { Softcap = -1f }).SetArgDisplayNames("softcap-negative");
        yield return new TestCaseData(new AttentionOptions { Softcap = float.PositiveInfinity }).SetArgDisplayNames("softcap-inf");
        yield return new TestCaseData(new AttentionOptions { Softcap = float.NaN }).SetArgDisplayNames("softcap-nan");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void BadOptionIsRejected(AttentionOptions options)
    {
        var b = new Buffers(Good);
        Expect("options", () => FlashAttention.Forward<float>(b.Q, b.K, b.V, b.O, b.Lse, Good, options));
        Expect("options", () => FlashAttention.Backward<float>(b.Q, b.K, b.V, b.O, b.Lse, b.DO, b.DQ, b.DK, b.DV, Good, options));
        b.AssertUntouched();
    }

    [TestCase("q"), TestCase("k"), TestCase("v"), TestCase("o"), TestCase("lse")]
    public void ForwardLengthMismatchIsRejected(string name)
    {
        var b = new Buffers(Good);
        float[] Pick(string n, float[] a) => n == name ? new float[a.Length + 1] : a;
        Expect(name, () => FlashAttention.Forward<float>(Pick("q", b.Q), Pick("k", b.K), Pick("v", b.V), Pick("o", b.O), Pick("lse", b.Lse), Good));
        b.AssertUntouched();
    }

    [TestCase("q"), TestCase("k"), TestCase("v"), TestCase("o"), TestCase("lse"), TestCase("dO"), TestCase("dq"), TestCase("dk"), TestCase("dv")]
    public void BackwardLengthMismatchIsRejected(string name)
    {
        var b = new Buffers(Good);
        float[] Pick(string n, float[] a) => n == name ? new float[Math.Max(0, a.Length - 1)] : a;
        Expect(name, () => FlashAttention.Backward<float>(Pick("q", b.Q), Pick("k", b.K), Pick("v", b.V), Pick("o", b.O), Pick("lse", b.Lse),
            Pick("dO", b.DO), Pick("dq", b.DQ), Pick("dk", b.DK), Pick("dv", b.DV), Good));
        b.AssertUntouched();
    }

    [Test]
    public void OutputOverlappingAnInputIsRejected()
    {
        var b = new Buffers(Good with { ValueHeadDim = 8 });
        float[] shared = new float[b.Q.Length + 8];
        Expect("o", () => FlashAttention.Forward<float>(shared.AsSpan(0, b.Q.Length), b.K, b.K, shared.AsSpan(8), b.Lse, Good with { ValueHeadDim = 8 }));
        Expect("dq", () => FlashAttention.Backward<float>(b.Q, b.K, b.K, b.O, b.Lse, b.DO, b.Q, b.DK, b.DV, Good with { ValueHeadDim = 8 }));
    }

    [Test]
    public void MergeBadInputIsRejected()
    {
        float[] o = [Sentinel, Sentinel], lse = [Sentinel];
        Expect("oB", () => AttentionMerge.Merge<float>([1f, 2f], [0f], [1f], [0f], o, lse, 2));
        Expect("lseB", () => AttentionMerge.Merge<float>([1f, 2f], [0f], [1f, 2f], [0f, 1f], o, lse, 2));
        Expect("valueHeadDim", () => AttentionMerge.Merge<float>([1f, 2f], [0f], [1f, 2f], [0f], o, lse, 0));
        float[] a = [1f, 2f, 3f];
        Expect("o", () => AttentionMerge.Merge<float>(a.AsSpan(0, 2), [0f], [1f, 2f], [0f], a.AsSpan(1, 2), lse, 2));
        Assert.That(o.Concat(lse), Is.All.EqualTo(Sentinel));
    }

    [Test]
    public void UnsupportedElementTypeIsRejected()
    {
        var s = new AttentionShape(1, 1, 1, 1, 1, 1);
        Assert.Throws<NotSupportedException>(() => FlashAttention.Forward<double>(new double[1], new double[1], new double[1], new double[1], new float[1], s));
    }

    private static void Expect(string parameter, TestDelegate call)
    {
        var e = Assert.Catch<ArgumentException>(call);
        Assert.That(e!.ParamName, Is.EqualTo(parameter), e.Message);
    }
}
