using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>
/// 1-bit with f16 and bf16 gradients, on every target: each 16-bit element widens to fp32 exactly, so every result must be the
/// f32 path's on the widened values, bit for bit; decompression rounds +-scale to the type.
/// </summary>
[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class OneBitReducedPrecisionTests(string target) : PerTargetFixture(target)
{
    private static readonly int[] Chunks = [1, 33, 1000];

    private static T[] Gradient<T>(int n, int seed) where T : unmanaged
    {
        T[] x = Samples.Uniform<T>(n, seed);
        for (int i = 3; i < n; i += 97) x[i] = Values.From<T>(i % 3 == 0 ? float.NaN : i % 3 == 1 ? -0f : float.NegativeInfinity);
        return x;
    }

    private static float[] Widened<T>(T[] x) where T : unmanaged => x.Select(v => (float)Values.ToDouble(v)).ToArray();

    private void AssertLikeF32<T>() where T : unmanaged
    {
        foreach (int n in Samples.OddLengths)
            foreach (int chunk in Chunks)
            {
                string context = $"{TargetName} {typeof(T).Name} n={n} chunk={chunk}";
                T[] g = Gradient<T>(n, n + chunk);
                float[] wide = Widened(g);
                var compressor = new OneBit(chunk, chunk == 33 ? OneBitScale.Rms : OneBitScale.MeanAbs);
                SignMessage narrow = compressor.Compress<T>(g, MatrixShape.Vector(n));
                SignMessage reference = compressor.Compress(wide, MatrixShape.Vector(n));
                Assert.That(narrow.Signs.ToArray(), Is.EqualTo(reference.Signs.ToArray()), $"{context}: signs");
                Compare.Bitwise<float>(narrow.Scales, reference.Scales, $"{context}: scales");

                var decompressed = new T[n];
                compressor.Decompress<T>(narrow, decompressed);
                var expected = new float[n];
                compressor.Decompress(reference, expected);
                Compare.Bitwise<T>(decompressed, expected.Select(Values.From<T>).ToArray(), $"{context}: decompressed");

                float[] residual = Samples.Uniform<float>(n, seed: n, -0.5f, 0.5f), residualReference = (float[])residual.Clone();
                SignMessage fused = compressor.CompressWithResidual<T>(g, MatrixShape.Vector(n), residual);
                SignMessage fusedReference = compressor.CompressWithResidual(wide, MatrixShape.Vector(n), residualReference);
                Assert.That(fused.Signs.ToArray(), Is.EqualTo(fusedReference.Signs.ToArray()), $"{context}: fused signs");
                Compare.Bitwise<float>(fused.Scales, fusedReference.Scales, $"{context}: fused scales");
                Compare.Bitwise<float>(residual, residualReference, $"{context}: fp32 residual");
            }
    }

    [Test]
    public void HalfGradientsGiveTheF32BitsOfTheirWidenedValues() => AssertLikeF32<Half>();

    [Test]
    public void BFloat16GradientsGiveTheF32BitsOfTheirWidenedValues() => AssertLikeF32<BFloat16>();

    [Test]
    public void ResidualLengthAndUnsupportedTypesAreRejected()
    {
        var compressor = new OneBit(8);
        float[] residual = new float[9];
        var e = Assert.Throws<ArgumentException>(() => compressor.CompressWithResidual<Half>(new Half[10], MatrixShape.Vector(10), residual))!;
        Assert.That(e.ParamName, Is.EqualTo("residual"));
        Assert.That(residual, Is.All.EqualTo(0f), "residual untouched");
        Assert.Throws<NotSupportedException>(() => compressor.Compress<double>(new double[4], MatrixShape.Vector(4)));
    }
}
