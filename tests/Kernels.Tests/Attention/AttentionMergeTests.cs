using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

public class AttentionMergeTests
{
    /// <summary>Attention over keys [0, 61) merged with attention over [61, 128) equals attention over all 128 keys.</summary>
    internal static void KeyHalvesMergeToFull(string context)
    {
        var shape = new AttentionShape(1, 37, 128, 2, 1, 48);
        const int split = 61;
        AttentionCase full = new("full", shape, AttentionOptions.Default);
        AttentionInputs<float> x = full.Inputs<float>(seed: 21);
        var o = new float[shape.OutputLength];
        var lse = new float[shape.RowCount];
        FlashAttention.Forward<float>(x.Q, x.K, x.V, o, lse, shape, AttentionOptions.Default);

        // K and V rows are [seq, kvHeads = 1, dim]: a key range is a contiguous slice.
        var options = new AttentionOptions { Scale = 1f / MathF.Sqrt(48) };
        (float[] oA, float[] lseA) = Partial(x, shape, options, 0, split);
        (float[] oB, float[] lseB) = Partial(x, shape, options, split, shape.SeqK - split);
        var merged = new float[o.Length];
        var mergedLse = new float[lse.Length];
        AttentionMerge.Merge<float>(oA, lseA, oB, lseB, merged, mergedLse, shape.ValueHeadDim);
        Assert.That(AttentionChecks.MaxError<float>(merged, o.Select(v => (double)v).ToArray()), Is.LessThanOrEqualTo(2e-6), context);
        for (int i = 0; i < lse.Length; i++)
        {
            Assert.That(mergedLse[i], Is.EqualTo(lse[i]).Within(2e-6 * Math.Max(1, Math.Abs(lse[i]))), $"{context} lse[{i}]");
        }
    }

    private static (float[] O, float[] Lse) Partial(AttentionInputs<float> x, AttentionShape shape, AttentionOptions options, int first, int count)
    {
        int width = shape.KvHeads * shape.HeadDim;
        AttentionShape part = shape with { SeqK = count };
        var o = new float[part.OutputLength];
        var lse = new float[part.RowCount];
        FlashAttention.Forward<float>(x.Q, x.K.AsSpan(first * width, count * width), x.V.AsSpan(first * width, count * width), o, lse, part, options);
        return (o, lse);
    }

    [Test]
    public void KeyHalvesMergeToFullAttention() => KeyHalvesMergeToFull("default target");

    [Test]
    public void MergeIsCommutativeBitwiseAndAssociativeWithinRounding()
    {
        const int rows = 29, dim = 37;
        float[][] outputs = [Samples.Uniform<float>(rows * dim, 1), Samples.Uniform<float>(rows * dim, 2), Samples.Uniform<float>(rows * dim, 3)];
        float[][] lses = [Samples.Uniform<float>(rows, 4, -3f, 3f), Samples.Uniform<float>(rows, 5, -3f, 3f), Samples.Uniform<float>(rows, 6, -3f, 3f)];
        lses[1][3] = float.NegativeInfinity;
        lses[0][5] = lses[1][5] = lses[2][5] = float.NegativeInfinity;

        (float[] ab, float[] lseAb) = Merge(outputs[0], lses[0], outputs[1], lses[1], dim);
        (float[] ba, float[] lseBa) = Merge(outputs[1], lses[1], outputs[0], lses[0], dim);
        Compare.Bitwise<float>(ab, ba, "O commutes");
        Compare.Bitwise<float>(lseAb, lseBa, "lse commutes");

        (float[] left, float[] lseLeft) = Merge(ab, lseAb, outputs[2], lses[2], dim);
        (float[] bc, float[] lseBc) = Merge(outputs[1], lses[1], outputs[2], lses[2], dim);
        (float[] right, float[] lseRight) = Merge(outputs[0], lses[0], bc, lseBc, dim);
        // Within fp32 rounding of values up to 4 in magnitude.
        Assert.That(AttentionChecks.MaxError<float>(left, right.Select(v => (double)v).ToArray()), Is.LessThanOrEqualTo(2e-6), "O associates");
        Assert.That(AttentionChecks.MaxError<float>(lseLeft, lseRight.Select(v => (double)v).ToArray()), Is.LessThanOrEqualTo(2e-6), "lse associates");

        // The float64 truth of the three-way merge.
        for (int r = 0; r < rows; r++)
        {
            double[] l = [lses[0][r], lses[1][r], lses[2][r]];
            double max = l.Max();
            if (double.IsNegativeInfinity(max))
            {
                Assert.That(lseLeft[r], Is.EqualTo(float.NegativeInfinity));
                Assert.That(left.AsSpan(r * dim, dim).ToArray(), Is.All.EqualTo(0f), "a row no side saw is zeros");
                continue;
            }
            double total = max + Math.Log(l.Sum(v => Math.Exp(v - max)));
            Assert.That(lseLeft[r], Is.EqualTo(total).Within(1e-6 * Math.Max(1, Math.Abs(total))));
            for (int e = 0; e < dim; e++)
            {
                double want = Enumerable.Range(0, 3).Sum(s => Math.Exp(l[s] - total) * outputs[s][r * dim + e]);
                Assert.That(left[r * dim + e], Is.EqualTo(want).Within(2e-6), $"row {r} element {e}");
            }
        }
    }

    [Test]
    public void NegativeInfinitySideContributesNothingEvenIfItsOutputIsNotFinite()
    {
        float[] a = [float.NaN, float.PositiveInfinity, 1f], b = [1.5f, -2f, 0.25f];
        (float[] o, float[] lse) = Merge(a, [float.NegativeInfinity], b, [0.75f], 3);
        Compare.Bitwise<float>(o, b, "O is exactly the other side");
        Assert.That(lse[0], Is.EqualTo(0.75f));
    }

    [Test]
    public void NanLseGivesNanRow()
    {
        (float[] o, float[] lse) = Merge([1f, 2f], [float.NaN], [3f, 4f], [0f], 2);
        Assert.That(float.IsNaN(lse[0]) && o.All(float.IsNaN), Is.True);
    }

    [Test]
    public void MergeInPlaceOverFirstInputAndHalfStorage()
    {
        Half[] a = Samples.Uniform<Half>(4 * 5, 7), b = Samples.Uniform<Half>(4 * 5, 8);
        float[] lseA = [0f, 1f, -1f, 2f], lseB = [0.5f, float.NegativeInfinity, -1f, 0f];
        var expected = new Half[a.Length];
        var expectedLse = new float[4];
        AttentionMerge.Merge<Half>(a, lseA, b, lseB, expected, expectedLse, 5);
        AttentionMerge.Merge<Half>(a, lseA, b, lseB, a, lseA, 5);
        Compare.Bitwise<Half>(a, expected, "in-place O");
        Compare.Bitwise<float>(lseA, expectedLse, "in-place lse");
    }

    private static (float[] O, float[] Lse) Merge(float[] oA, float[] lseA, float[] oB, float[] lseB, int dim)
    {
        var o = new float[oA.Length];
        var lse = new float[lseA.Length];
        AttentionMerge.Merge<float>(oA, lseA, oB, lseB, o, lse, dim);
        return (o, lse);
    }
}
