using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/powersgd.cu under the emulator: the products against a float64 reference (error bound of an fp32 sum of that length),
/// modified Gram-Schmidt against the CPU kernel and for orthonormality.
/// </summary>
public unsafe class EmulatedPowerSgdTests
{
    [TestCase(1, 1, 1)]
    [TestCase(37, 29, 4)]
    [TestCase(65, 130, 7)]
    [TestCase(9, 300, 32)]
    public void ProductsMatchFloat64Reference(int rows, int cols, int rank)
    {
        float[] m = Samples.Uniform<float>(rows * cols, seed: rows), q = Samples.Uniform<float>(cols * rank, seed: cols);
        float[] pIn = Samples.Uniform<float>(rows * rank, seed: rank);
        foreach (var (grid, block) in LaunchShapes.Elementwise)
        {
            var p = new float[rows * rank];
            Emulator.LowRankMQ(m, q, p, rows, cols, rank, grid, block);
            for (int r = 0; r < rows; r++)
            for (int c = 0; c < rank; c++)
                AssertSum(p[r * rank + c], Enumerable.Range(0, cols).Select(j => (double)m[r * cols + j] * q[j * rank + c]), $"p[{r},{c}] grid={grid}");
            var qOut = new float[cols * rank];
            Emulator.LowRankMTP(m, pIn, qOut, rows, cols, rank, grid, block);
            for (int j = 0; j < cols; j++)
            for (int c = 0; c < rank; c++)
                AssertSum(qOut[j * rank + c], Enumerable.Range(0, rows).Select(r => (double)m[r * cols + j] * pIn[r * rank + c]), $"q[{j},{c}] grid={grid}");
        }
    }

    [TestCase(1, 1)]
    [TestCase(37, 4)]
    [TestCase(300, 8)]
    [TestCase(1000, 32)]
    public void OrthonormalizeMatchesCpu(int rows, int rank)
    {
        const float eps = 1e-8f;
        float[] p = Samples.Uniform<float>(rows * rank, seed: rows + rank), expected = (float[])p.Clone();
        fixed (float* pe = expected)
            Native.Check(NativeMethods.kn_orthonormalize_columns(pe, (nuint)rows, (nuint)rank, eps));
        Emulator.Orthonormalize(p, rows, rank, eps);
        for (int i = 0; i < p.Length; i++)
            Assert.That(p[i], Is.EqualTo(expected[i]).Within(2e-4f * rank), $"p[{i / rank},{i % rank}]");
        if (rows < rank)
            return;
        for (int a = 0; a < rank; a++)
        for (int b = 0; b <= a; b++)
        {
            double dot = Enumerable.Range(0, rows).Sum(i => (double)p[i * rank + a] * p[i * rank + b]);
            Assert.That(dot, Is.EqualTo(a == b ? 1.0 : 0.0).Within(1e-4 * rank), $"column {a} . column {b}");
        }
    }

    // An fp32 sum of products in any order is within n * 2^-23 * sum |term| of the exact value.
    private static void AssertSum(float actual, IEnumerable<double> terms, string context)
    {
        double[] t = terms.ToArray();
        double bound = t.Length * Math.Pow(2, -23) * t.Sum(Math.Abs) + 1e-30;
        Assert.That(actual, Is.EqualTo(t.Sum()).Within(bound), context);
    }
}
