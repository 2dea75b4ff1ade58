using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class TopKKernelTests(string target) : PerTargetFixture(target)
{
    private static IEnumerable<int> KsFor(int n) => new[] { 1, 2, n / 3, n / 2, n - 1, n }.Where(k => k >= 1 && k <= n).Distinct();

    /// <summary>Random values, values with many exact ties (and ±0), and a mix with NaN and infinities.</summary>
    private static IEnumerable<(string Name, float[] Values)> Inputs(int n)
    {
        yield return ("uniform", Samples.Uniform<float>(n, seed: n));
        var random = new Random(n + 7);
        yield return ("ties", Enumerable.Range(0, n).Select(_ => (float)random.Next(-3, 4) * 0.5f).Select(v => v == 0 && random.Next(2) == 0 ? -0f : v).ToArray());
        float[] special = Samples.Uniform<float>(n, seed: n + 9);
        for (int i = 0; i < n; i += 5) special[i] = (i / 5 % 4) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => float.NegativeInfinity, _ => -float.NaN };
        yield return ("special", special);
        yield return ("tiny", Enumerable.Range(0, n).Select(i => BitConverter.UInt32BitsToSingle((uint)(i * 7919 % 1000) | (i % 2 == 0 ? 0x8000_0000u : 0))).ToArray());
    }

    [Test]
    public void ExactMatchesFullSortReference()
    {
        foreach (int n in Samples.OddLengths)
            foreach ((string name, float[] x) in Inputs(n))
                foreach (int k in KsFor(n))
                {
                    SparseMessage message = new TopK(k).Compress(x, MatrixShape.Vector(n));
                    int[] expected = CompressionReference.TopKIndices(x, k);
                    Assert.That(message.Indices.ToArray(), Is.EqualTo(expected), $"{TargetName} {name} n={n} k={k}");
                    float[] expectedValues = expected.Select(i => x[i]).ToArray();
                    Compare.Bitwise<float>(message.Values, expectedValues, $"{TargetName} {name} n={n} k={k} values");
                }
    }

    [Test]
    public void NaNRanksAboveInfinityAndTiesGoToTheLowerIndex()
    {
        float[] x = [1f, float.PositiveInfinity, float.NaN, -2f, -float.NaN, float.NegativeInfinity, 2f, 0f];
        SparseMessage top3 = new TopK(3).Compress(x, MatrixShape.Vector(x.Length));
        Assert.That(top3.Indices.ToArray(), Is.EqualTo(new[] { 1, 2, 4 }), "both NaNs, then the first infinity");
        SparseMessage top6 = new TopK(6).Compress(x, MatrixShape.Vector(x.Length));
        Assert.That(top6.Indices.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }), "|-2| ties |2|: both fit");
        SparseMessage top5 = new TopK(5).Compress(x, MatrixShape.Vector(x.Length));
        Assert.That(top5.Indices.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }), "|-2| ties |2|: the lower index wins");
        Assert.That(float.IsNaN(top3.Values[1]) && float.IsNaN(top3.Values[2]), "NaN values are sent as they are");
    }

    [Test]
    public void SampledKeepsEverythingAtOrAboveItsThreshold()
    {
        foreach (int n in Samples.OddLengths)
            foreach ((string name, float[] x) in Inputs(n))
            {
                int k = Math.Max(1, n / 10);
                SparseMessage message = TopK.Sampled(k, sampleSize: Math.Max(1, n / 4), seed: 42).Compress(x, MatrixShape.Vector(n));
                string context = $"{TargetName} {name} n={n} k={k} kept={message.Count}";
                Assert.That(message.Count, Is.InRange(1, Math.Min(n, 2 * k)), context);
                int[] indices = message.Indices.ToArray();
                Assert.That(indices, Is.Ordered.Ascending.And.Unique, context);
                uint threshold = indices.Min(i => CompressionReference.MagnitudeKey(x[i]));
                int[] atOrAbove = Enumerable.Range(0, n).Where(i => CompressionReference.MagnitudeKey(x[i]) >= threshold).ToArray();
                // Either every element at or above the sampled threshold, or (when more than the capacity passed it) the exact top-k.
                bool thresholdSet = indices.SequenceEqual(atOrAbove);
                bool exactFallback = indices.SequenceEqual(CompressionReference.TopKIndices(x, k));
                Assert.That(thresholdSet || exactFallback, $"{context}: neither all elements >= the threshold nor the exact top-k");
                Compare.Bitwise<float>(message.Values, indices.Select(i => x[i]).ToArray(), context);
            }
    }

    [Test]
    public void SampledOverflowFallsBackToExact()
    {
        // All magnitudes equal: any sampled threshold lets every element through, far more than the capacity.
        float[] x = Enumerable.Range(0, 1025).Select(i => i % 2 == 0 ? 1f : -1f).ToArray();
        SparseMessage message = TopK.Sampled(10, sampleSize: 50, seed: 1).Compress(x, MatrixShape.Vector(x.Length));
        Assert.That(message.Indices.ToArray(), Is.EqualTo(Enumerable.Range(0, 10).ToArray()));
    }
}
