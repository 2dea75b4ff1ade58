using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

public class DgcMomentumTests
{
    private const int Rows = 37, Cols = 29, K = 40;
    private const float Momentum = 0.9f;
    private static readonly MatrixShape Shape = new(Rows, Cols);

    private static ErrorFeedbackCompressor<SparseMessage> Create(float momentum = Momentum) =>
        new(new TopK(K), ErrorFeedback.DgcMomentum(momentum));

    [Test]
    public void MatchesTheFloat64ProtocolWithinItsRoundingBound()
    {
        var dgc = Create();
        var run = new CompressionRun<SparseMessage>(dgc);
        var reference = new DgcMomentumReference(Rows * Cols, Momentum, K);
        for (int step = 0; step < 12; step++)
        {
            float[] g = ErrorFeedbackTests.Gradient(step);
            SparseMessage message = dgc.Compress(g, Shape);
            (int[] indices, double[] values, double[] magnitudes) = reference.Step(g);
            string context = $"step {step}";
            Assert.That(message.Indices.ToArray(), Is.EqualTo(indices), $"{context}: sent coordinates");
            // Step t's u carries at most 2(t + 1) roundings of its magnitude sum and v at most 3(t + 1) of its own (the sums
            // dominate every earlier partial sum, and masking restarts both in fp32 and in the reference).
            double Bound(double magnitude) => (3 * step + 4) * Math.ScaleB(1.0, -24) * magnitude + 1e-30;
            float[][] state = run.SavedArrays();
            for (int j = 0; j < indices.Length; j++)
            {
                Assert.That(Math.Abs(message.Values[j] - values[j]), Is.LessThanOrEqualTo(Bound(magnitudes[j])), $"{context}: sent value at {indices[j]}");
            }
            for (int i = 0; i < Rows * Cols; i++)
            {
                Assert.That(Math.Abs(state[0][i] - reference.Velocity[i]), Is.LessThanOrEqualTo(Bound(reference.VelocityMagnitude[i])), $"{context}: u[{i}]");
                Assert.That(Math.Abs(state[1][i] - reference.Accumulated[i]), Is.LessThanOrEqualTo(Bound(reference.AccumulatedMagnitude[i])), $"{context}: v[{i}]");
            }
        }
    }

    [Test]
    public void FactorMaskingZeroesVelocityAndAccumulationAtSentCoordinatesOnly()
    {
        var dgc = Create();
        var run = new CompressionRun<SparseMessage>(dgc);
        dgc.Compress(ErrorFeedbackTests.Gradient(0), Shape);
        float[] g = ErrorFeedbackTests.Gradient(1);
        float[][] before = run.SavedArrays();
        SparseMessage message = dgc.Compress(g, Shape);
        float[][] after = run.SavedArrays();
        var sent = new HashSet<int>(message.Indices.ToArray());
        for (int i = 0; i < g.Length; i++)
        {
            float u = Momentum * before[0][i] + g[i];
            float v = before[1][i] + u;
            float[] expected = sent.Contains(i) ? [-0f, -0f] : [u, v];
            Compare.Bitwise<float>(new[] { after[0][i], after[1][i] }, expected, $"element {i} (sent: {sent.Contains(i)})");
        }
        for (int j = 0; j < message.Count; j++)
        {
            int i = message.Indices[j];
            Assert.That(message.Values[j], Is.EqualTo(before[1][i] + (Momentum * before[0][i] + g[i])), $"sent value at {i} is v");
        }
    }

    [Test]
    public void WithoutMomentumItSendsWhatEf14Sends()
    {
        var dgc = Create(momentum: 0f);
        var ef14 = new ErrorFeedbackCompressor<SparseMessage>(new TopK(K), ErrorFeedback.Ef14());
        for (int step = 0; step < 6; step++)
        {
            float[] g = ErrorFeedbackTests.Gradient(step);
            SparseMessage a = dgc.Compress(g, Shape), b = ef14.Compress(g, Shape);
            Assert.That(a.Indices.ToArray(), Is.EqualTo(b.Indices.ToArray()), $"step {step}: indices");
            Assert.That(a.Values.ToArray(), Is.EqualTo(b.Values.ToArray()), $"step {step}: values");
        }
    }

    [Test]
    public void SaveRestoreContinueIsBitIdenticalToAnUninterruptedRun([Values] bool sampled)
    {
        ErrorFeedbackCompressor<SparseMessage> Make() =>
            new(sampled ? TopK.Sampled(K, sampleSize: 300, seed: 3) : new TopK(K), ErrorFeedback.DgcMomentum(Momentum));
        var uninterrupted = new CompressionRun<SparseMessage>(Make());
        var first = new CompressionRun<SparseMessage>(Make());
        for (int step = 0; step < 3; step++)
        {
            uninterrupted.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
            first.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
        }
        byte[] saved = first.Save();
        var resumed = new CompressionRun<SparseMessage>(Make());
        resumed.Restore(saved);
        Assert.That(resumed.Save(), Is.EqualTo(saved), "restored state saves to the same bytes");
        for (int step = 3; step < 7; step++)
        {
            float[] expected = uninterrupted.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
            float[] actual = resumed.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
            Compare.Bitwise<float>(actual, expected, $"step {step}");
        }
        Assert.That(resumed.Save(), Is.EqualTo(uninterrupted.Save()), "final states are identical");

        var otherMomentum = new CompressionRun<SparseMessage>(new ErrorFeedbackCompressor<SparseMessage>(new TopK(K), ErrorFeedback.DgcMomentum(0.5f)));
        byte[] untouched = otherMomentum.Save();
        var e = Assert.Throws<ArgumentException>(() => otherMomentum.Restore(saved))!;
        Assert.That(e.ParamName, Is.EqualTo("state"), e.Message);
        Assert.That(otherMomentum.Save(), Is.EqualTo(untouched), "a rejected restore changes nothing");
    }

    [Test]
    public void BadInputThrowsAndLeavesTheStateUntouched()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorFeedback.DgcMomentum(1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorFeedback.DgcMomentum(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorFeedback.DgcMomentum(float.NaN));
        var e = Assert.Throws<ArgumentException>(() => new ErrorFeedbackCompressor<SignMessage>(new OneBit(), ErrorFeedback.DgcMomentum(0.9f)))!;
        Assert.That(e.ParamName, Is.EqualTo("feedback"), e.Message);

        var dgc = Create();
        var run = new CompressionRun<SparseMessage>(dgc);
        dgc.Compress(ErrorFeedbackTests.Gradient(0), Shape);
        byte[] before = run.Save();
        Assert.Throws<ArgumentException>(() => dgc.Compress(ErrorFeedbackTests.Gradient(1), new MatrixShape(Cols, Rows)), "another shape");
        Assert.Throws<ArgumentException>(() => dgc.Compress(new float[10], MatrixShape.Vector(10)), "another length");
        var tooSmall = new ErrorFeedbackCompressor<SparseMessage>(new TopK(K + 1), ErrorFeedback.DgcMomentum(0.9f));
        Assert.Throws<ArgumentOutOfRangeException>(() => tooSmall.Compress(new float[K], MatrixShape.Vector(K)), "k > n");
        Assert.That(run.Save(), Is.EqualTo(before), "state unchanged by rejected steps");
    }

    [Test]
    public void NonFiniteGradientIsSentAndThenClearedByMasking()
    {
        var dgc = Create();
        var run = new CompressionRun<SparseMessage>(dgc);
        float[] g = ErrorFeedbackTests.Gradient(0);
        g[11] = float.NaN;
        g[12] = float.PositiveInfinity;
        SparseMessage message = dgc.Compress(g, Shape);
        Assert.That(message.Indices.ToArray(), Does.Contain(11).And.Contain(12), "top-k ranks NaN and infinity first");
        float[][] state = run.SavedArrays();
        Assert.That(state.SelectMany(a => a).All(float.IsFinite), "masking cleared them; no other element was touched");
    }
}
