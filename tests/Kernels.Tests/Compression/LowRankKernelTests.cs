using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public unsafe class LowRankKernelTests(string target) : PerTargetFixture(target)
{
    private static readonly (int Rows, int Cols)[] Shapes = [(1, 1), (7, 5), (33, 97), (97, 33), (130, 67)];
    private static readonly int[] Ranks = [1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 32];

    private static IEnumerable<(int Rows, int Cols, int Rank)> Cases() =>
        from s in Shapes from r in Ranks where r <= 32 && (r <= Math.Max(s.Rows, s.Cols) || r <= 4) select (s.Rows, s.Cols, r);

    [Test]
    public void ProductsMatchFloat64WithinTheDotProductBound()
    {
        foreach ((int rows, int cols, int rank) in Cases())
        {
            float[] m = Samples.Uniform<float>(rows * cols, seed: rows * 31 + cols);
            float[] q = Samples.Uniform<float>(cols * rank, seed: rank);
            float[] p = Samples.Uniform<float>(rows * rank, seed: rank + 100);
            var pOut = new float[rows * rank];
            var qOut = new float[cols * rank];
            fixed (float* pm = m, pq = q, pp = p, po = pOut, qo = qOut)
            {
                Native.Check(NativeMethods.kn_lowrank_m_q(pm, pq, po, (nuint)rows, (nuint)cols, (nuint)rank));
                Native.Check(NativeMethods.kn_lowrank_mt_p(pm, pp, qo, (nuint)rows, (nuint)cols, (nuint)rank));
            }
            string context = $"{TargetName} {rows}x{cols} rank {rank}";
            var (mq, mqAbs) = CompressionReference.MQ(m, q, rows, cols, rank);
            CompressionReference.AssertWithinDotBound(pOut, mq, mqAbs, cols, $"{context} m q");
            var (mtp, mtpAbs) = CompressionReference.MTP(m, p, rows, cols, rank);
            CompressionReference.AssertWithinDotBound(qOut, mtp, mtpAbs, rows, $"{context} m^T p");
        }
    }

    [Test]
    public void ReconstructionIsTheOrderedDotProductOfRankRows()
    {
        foreach ((int rows, int cols, int rank) in Cases())
        {
            float[] p = Samples.Uniform<float>(rows * rank, seed: 1), q = Samples.Uniform<float>(cols * rank, seed: 2);
            var m = new float[rows * cols];
            fixed (float* pp = p, pq = q, pm = m)
            {
                Native.Check(NativeMethods.kn_lowrank_p_qt(pp, pq, pm, (nuint)rows, (nuint)cols, (nuint)rank));
            }
            var expected = new float[rows * cols];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    float sum = 0;
                    for (int c = 0; c < rank; c++) sum += p[i * rank + c] * q[j * rank + c];
                    expected[i * cols + j] = sum;
                }
            Compare.Bitwise<float>(m, expected, $"{TargetName} {rows}x{cols} rank {rank}");
        }
    }

    [Test]
    public void NonFiniteInputStaysInItsRowsAndColumns()
    {
        const int rows = 9, cols = 11, rank = 5;
        float[] m = Samples.Uniform<float>(rows * cols, seed: 3);
        m[4 * cols + 6] = float.PositiveInfinity;
        float[] q = Samples.Uniform<float>(cols * rank, seed: 4), p = Samples.Uniform<float>(rows * rank, seed: 5);
        var pOut = new float[rows * rank];
        var qOut = new float[cols * rank];
        fixed (float* pm = m, pq = q, pp = p, po = pOut, qo = qOut)
        {
            Native.Check(NativeMethods.kn_lowrank_m_q(pm, pq, po, rows, cols, rank));
            Native.Check(NativeMethods.kn_lowrank_mt_p(pm, pp, qo, rows, cols, rank));
        }
        for (int i = 0; i < rows * rank; i++) Assert.That(float.IsFinite(pOut[i]), Is.EqualTo(i / rank != 4), $"p[{i}]");
        for (int j = 0; j < cols * rank; j++) Assert.That(float.IsFinite(qOut[j]), Is.EqualTo(j / rank != 6), $"q[{j}]");
    }

    [Test]
    public void GramSchmidtGivesOrthonormalColumnsAndKeepsZeroColumnsFinite()
    {
        foreach ((int rows, int rank) in new[] { (1, 1), (7, 3), (97, 8), (130, 32) })
        {
            float[] p = Samples.Uniform<float>(rows * rank, seed: rows + rank);
            if (rank > 2)
            {
                for (int i = 0; i < rows; i++) p[i * rank + 1] = 0f;                    // a zero column
                for (int i = 0; i < rows; i++) p[i * rank + rank - 1] = 2 * p[i * rank + 0];  // a dependent column, last

            }
            fixed (float* pp = p)
            {
                Native.Check(NativeMethods.kn_orthonormalize_columns(pp, (nuint)rows, (nuint)rank, 1e-8f));
            }
            Assert.That(p.All(float.IsFinite), $"{rows}x{rank}: all finite");
            // Column 1 was zero: 0 / (0 + eps) stays exactly 0. The last column was dependent: what is left is rounding
            // noise (not orthogonal to the others), scaled by 1 / (norm + eps), so its norm stays below 1. The other columns
            // are orthonormal.
            bool Degenerate(int c) => rank > 2 && (c == 1 || c == rank - 1);
            double Dot(int a, int b) => Enumerable.Range(0, rows).Sum(i => (double)p[i * rank + a] * p[i * rank + b]);
            if (rank > 2)
            {
                Assert.That(Enumerable.Range(0, rows).All(i => p[i * rank + 1] == 0f), $"{rows}x{rank}: zero column");
                Assert.That(Dot(rank - 1, rank - 1), Is.LessThan(1.0 + 1e-4), $"{rows}x{rank}: dependent column");
            }
            for (int a = 0; a < rank; a++)
                for (int b = 0; b <= a; b++)
                {
                    if (Degenerate(a) || Degenerate(b)) continue;
                    Assert.That(Dot(a, b), Is.EqualTo(a == b ? 1.0 : 0.0).Within(1e-5), $"{rows}x{rank} <{a},{b}>");
                }
        }
    }
}
