using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>Strided views compute the same bits as dense tensors and leave the memory between rows alone.</summary>
public class AttentionStridesTests
{
    private const float Sentinel = 777f;

    [Test]
    public void InterleavedQkvAndPaddedOutputsMatchDenseBitwise([Values] bool causal)
    {
        // q, k, v interleaved per position as [batch, seq, 3, heads, dim] (one projection's output); seqQ == seqK here.
        var shape = new AttentionShape(2, 70, 70, 2, 2, 24);
        var options = new AttentionOptions { Causal = causal, Softcap = 3f };
        int b = shape.Batch, s = shape.SeqQ, h = shape.Heads, d = shape.HeadDim;
        float[] qkv = Samples.Uniform<float>(b * s * 3 * h * d, seed: 4);
        var perBatch = (long)s * 3 * h * d;
        var qs = new AttentionStrides(perBatch, 3L * h * d, d);
        ReadOnlySpan<float> q = qkv, k = qkv.AsSpan(h * d), v = qkv.AsSpan(2 * h * d);

        float[] denseQ = Gather(q, qs, shape.Batch, s, h, d), denseK = Gather(k, qs, b, s, h, d), denseV = Gather(v, qs, b, s, h, d);
        var denseO = new float[shape.OutputLength];
        var denseLse = new float[shape.RowCount];
        FlashAttention.Forward<float>(denseQ, denseK, denseV, denseO, denseLse, shape, options);

        // o rows padded to 32 floats, heads padded to 3 slots: the gaps must stay untouched.
        var os = new AttentionStrides((long)s * 3 * 32, 3 * 32, 32);
        float[] o = Enumerable.Repeat(Sentinel, b * s * 3 * 32).ToArray();
        var lse = new float[shape.RowCount];
        FlashAttention.Forward<float>(q, qs, k, qs, v, qs, o, os, lse, shape, options);
        Compare.Bitwise<float>(Gather(o, os, b, s, h, d), denseO, "strided O");
        Compare.Bitwise<float>(lse, denseLse, "strided lse");
        Assert.That(Enumerable.Range(0, o.Length).Where(i => !InView(i, os, b, s, h, d)).All(i => o[i] == Sentinel), "gap written");

        float[] dO = Samples.Uniform<float>(denseO.Length, seed: 5);
        var denseGrads = (Q: new float[denseQ.Length], K: new float[denseK.Length], V: new float[denseV.Length]);
        FlashAttention.Backward<float>(denseQ, denseK, denseV, denseO, denseLse, dO, denseGrads.Q, denseGrads.K, denseGrads.V, shape, options);

        float[] stridedDO = Enumerable.Repeat(Sentinel, o.Length).ToArray();
        Scatter(dO, stridedDO, os, b, s, h, d);
        // Each gradient in its own buffer with the interleaved layout's strides (gaps stay untouched). Outputs may not
        // share a span, so interleaving dq, dk and dv in one buffer is not supported.
        float[] dq = Enumerable.Repeat(Sentinel, qkv.Length).ToArray(), dk = (float[])dq.Clone(), dv = (float[])dq.Clone();
        FlashAttention.Backward<float>(q, qs, k, qs, v, qs, o, os, lse, stridedDO, dq, dk, dv, shape, options);
        Compare.Bitwise<float>(Gather(dq, qs, b, s, h, d), denseGrads.Q, "strided dQ");
        Compare.Bitwise<float>(Gather(dk, qs, b, s, h, d), denseGrads.K, "strided dK");
        Compare.Bitwise<float>(Gather(dv, qs, b, s, h, d), denseGrads.V, "strided dV");
        Assert.That(Enumerable.Range(0, dq.Length).Where(i => !InView(i, qs, b, s, h, d)).All(i => dq[i] == Sentinel), "dq gap written");
    }

    [Test]
    public void BadStridesAreRejectedBeforeAnythingIsWritten()
    {
        var shape = new AttentionShape(1, 4, 4, 2, 2, 8);
        float[] q = new float[64], k = new float[64], v = new float[64];
        float[] o = Enumerable.Repeat(Sentinel, 64).ToArray(), lse = Enumerable.Repeat(Sentinel, 8).ToArray();
        var dense = AttentionStrides.Contiguous(4, 2, 8);
        Expect("q", () => FlashAttention.Forward<float>(q, dense with { Head = -8 }, k, dense, v, dense, o, dense, lse, shape));
        Expect("k", () => FlashAttention.Forward<float>(q, dense, k, dense with { Seq = 17 }, v, dense, o, dense, lse, shape));
        Expect("o", () => FlashAttention.Forward<float>(q, dense, k, dense, v, dense, o, dense with { Head = 4 }, lse, shape));
        Expect("o", () => FlashAttention.Forward<float>(q, dense, k, dense, v, dense, o, new AttentionStrides(0, 8, 8), lse, shape));
        Expect("dq", () => FlashAttention.Backward<float>(q, dense, k, dense, v, dense, o, dense, lse, o, o.AsSpan(0, 40), new float[64], new float[64], shape));
        Assert.That(o.Concat(lse), Is.All.EqualTo(Sentinel));
    }

    private static void Expect(string parameter, TestDelegate call)
    {
        var e = Assert.Catch<ArgumentException>(call);
        Assert.That(e!.ParamName, Is.EqualTo(parameter), e.Message);
    }

    private static bool InView(int index, AttentionStrides st, int b, int s, int h, int d)
    {
        for (int bb = 0; bb < b; bb++)
        for (int ss = 0; ss < s; ss++)
        for (int hh = 0; hh < h; hh++)
        {
            long row = bb * st.Batch + ss * st.Seq + hh * st.Head;
            if (index >= row && index < row + d) return true;
        }
        return false;
    }

    private static float[] Gather(ReadOnlySpan<float> source, AttentionStrides st, int b, int s, int h, int d)
    {
        var dense = new float[b * s * h * d];
        for (int bb = 0; bb < b; bb++)
        for (int ss = 0; ss < s; ss++)
        for (int hh = 0; hh < h; hh++)
        {
            source.Slice((int)(bb * st.Batch + ss * st.Seq + hh * st.Head), d).CopyTo(dense.AsSpan(((bb * s + ss) * h + hh) * d, d));
        }
        return dense;
    }

    private static void Scatter(float[] dense, float[] target, AttentionStrides st, int b, int s, int h, int d)
    {
        for (int bb = 0; bb < b; bb++)
        for (int ss = 0; ss < s; ss++)
        for (int hh = 0; hh < h; hh++)
        {
            dense.AsSpan(((bb * s + ss) * h + hh) * d, d).CopyTo(target.AsSpan((int)(bb * st.Batch + ss * st.Seq + hh * st.Head), d));
        }
    }
}
