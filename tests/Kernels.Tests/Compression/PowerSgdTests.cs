using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

public class PowerSgdTests
{
    /// <summary>A rows x cols matrix of exact rank <paramref name="rank"/>.</summary>
    private static float[] LowRankMatrix(int rows, int cols, int rank, int seed)
    {
        float[] a = Samples.Uniform<float>(rows * rank, seed), b = Samples.Uniform<float>(cols * rank, seed + 1);
        var m = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                for (int c = 0; c < rank; c++) m[i * cols + j] += a[i * rank + c] * b[j * rank + c];
        return m;
    }

    [Test]
    public void AMatrixOfTheCompressorsRankIsReproduced()
    {
        var shape = new MatrixShape(67, 45);
        float[] m = LowRankMatrix(shape.Rows, shape.Cols, 3, seed: 4);
        var powerSgd = new PowerSgd(rank: 3, seed: 11);
        LowRankMessage message = powerSgd.Compress(m, shape);
        Assert.That(message.IsDense, Is.False);
        Assert.That(message.PayloadBytes, Is.EqualTo((67 + 45) * 3 * sizeof(float)));
        var reconstructed = new float[m.Length];
        powerSgd.Decompress(message, reconstructed);
        double scale = m.Max(v => Math.Abs(v));
        for (int i = 0; i < m.Length; i++) Assert.That(reconstructed[i], Is.EqualTo(m[i]).Within(1e-4 * scale), $"[{i}]");
    }

    [Test]
    public void WarmUpAndTensorsTooSmallToGainAreSentDense()
    {
        var shape = new MatrixShape(40, 30);
        float[] g = Samples.Uniform<float>(shape.Rows * shape.Cols, seed: 2);
        var powerSgd = new PowerSgd(rank: 2, warmUpSteps: 2);
        Assert.That(powerSgd.Compress(g, shape).IsDense, Is.True, "warm-up step 0");
        Assert.That(powerSgd.Compress(g, shape).IsDense, Is.True, "warm-up step 1");
        Assert.That(powerSgd.Compress(g, shape).IsDense, Is.False, "step 2 is compressed");
        // (4 + 4) * 4 >= 16: the factors would be larger than the matrix.
        LowRankMessage small = new PowerSgd(rank: 4).Compress(new float[16], new MatrixShape(4, 4));
        Assert.That(small.IsDense && small.PayloadBytes == 64, Is.True);
    }

    [Test]
    public void WarmStartCarriesQAcrossStepsAndANonFiniteStepLeavesItAlone()
    {
        var shape = new MatrixShape(50, 40);
        float[] g = Samples.Uniform<float>(shape.Rows * shape.Cols, seed: 3);
        var warm = new PowerSgd(rank: 2, seed: 1);
        LowRankMessage first = warm.Compress(g, shape);
        LowRankMessage second = warm.Compress(g, shape);
        Assert.That(second.Q.ToArray(), Is.Not.EqualTo(first.Q.ToArray()), "the second step starts from the first step's Q");

        var withNaN = new PowerSgd(rank: 2, seed: 1);
        withNaN.Compress(g, shape);
        float[] poisoned = (float[])g.Clone();
        poisoned[17] = float.NaN;
        LowRankMessage fallback = withNaN.Compress(poisoned, shape);
        Assert.That(fallback.IsDense, Is.True, "a non-finite input is sent dense");
        Assert.That(float.IsNaN(fallback.Dense[17]) && fallback.Dense[16] == g[16], Is.True);
        Compare.Bitwise<float>(withNaN.Compress(g, shape).Q, second.Q, "the warm start skipped the non-finite step");
    }
}
