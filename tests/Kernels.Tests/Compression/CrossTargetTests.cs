using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>Kernels documented as target-independent give the scalar target's bits on every SIMD target.</summary>
[NonParallelizable]
public class CrossTargetTests
{
    private static T[] OnEveryTarget<T>(Func<T> run)
    {
        var results = new List<T>();
        foreach (SimdTarget target in CpuInfo.SupportedTargets)
        {
            using (CpuInfo.RestrictTo(target))
            {
                results.Add(run());
            }
        }
        return results.ToArray();
    }

    private static string[] TargetNames => CpuInfo.SupportedTargets.Select(t => t.Name).ToArray();

    private static int ScalarIndex => Array.IndexOf(TargetNames, "SCALAR") is var i and >= 0 ? i : TargetNames.Length - 1;

    private static float[] Gradient(int n, int seed)
    {
        float[] x = Samples.Uniform<float>(n, seed);
        for (int i = 3; i < n; i += 97) x[i] = i % 3 == 0 ? float.NaN : -0f;
        return x;
    }

    [Test]
    public void OneBitPackUnpackAndFusedResidualAreBitEqualAcrossTargets([Values(1, 7, 31, 100, 2048)] int chunk, [Values] OneBitScale scale)
    {
        foreach (int n in Samples.OddLengths)
        {
            float[] g = Gradient(n, n), e = Samples.Uniform<float>(n, n + 1, -0.5f, 0.5f);
            var compressor = new OneBit(chunk, scale);
            var results = OnEveryTarget(() =>
            {
                SignMessage message = compressor.Compress(g, MatrixShape.Vector(n));
                var decompressed = new float[n];
                compressor.Decompress(message, decompressed);
                var ef = new ErrorFeedbackCompressor<SignMessage>(compressor, ErrorFeedback.Ef14());
                ef.Compress(e, MatrixShape.Vector(n));  // first step: residual of e
                SignMessage fused = ef.Compress(g, MatrixShape.Vector(n));
                var state = new MemoryStream();
                ef.SaveState(state);
                return (message.Signs.ToArray(), message.Scales.ToArray(), decompressed, fused.Scales.ToArray(), state.ToArray());
            });
            var reference = results[ScalarIndex];
            for (int t = 0; t < results.Length; t++)
            {
                string context = $"{TargetNames[t]} vs SCALAR n={n} chunk={chunk} {scale}";
                Assert.That(results[t].Item1, Is.EqualTo(reference.Item1), $"{context}: signs");
                Compare.Bitwise<float>(results[t].Item2, reference.Item2, $"{context}: scales");
                Compare.Bitwise<float>(results[t].Item3, reference.Item3, $"{context}: decompressed");
                Compare.Bitwise<float>(results[t].Item4, reference.Item4, $"{context}: fused scales");
                Assert.That(results[t].Item5, Is.EqualTo(reference.Item5), $"{context}: residual state");
            }
        }
    }

    [Test]
    public void ExactTopKIsBitEqualAcrossTargets()
    {
        foreach (int n in Samples.OddLengths)
        {
            float[] x = Gradient(n, 5 * n);
            int k = Math.Max(1, n / 7);
            var results = OnEveryTarget(() =>
            {
                SparseMessage m = new TopK(k).Compress(x, MatrixShape.Vector(n));
                SparseMessage s = TopK.Sampled(k, Math.Max(1, n / 3), seed: 9).Compress(x, MatrixShape.Vector(n));
                return (m.Indices.ToArray(), m.Values.ToArray(), s.Indices.ToArray());
            });
            for (int t = 0; t < results.Length; t++)
            {
                Assert.That(results[t].Item1, Is.EqualTo(results[ScalarIndex].Item1), $"{TargetNames[t]} n={n} indices");
                Compare.Bitwise<float>(results[t].Item2, results[ScalarIndex].Item2, $"{TargetNames[t]} n={n} values");
                Assert.That(results[t].Item3, Is.EqualTo(results[ScalarIndex].Item3), $"{TargetNames[t]} n={n} sampled indices");
            }
        }
    }
}
