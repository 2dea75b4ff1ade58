using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>Same-shape batching: one call, one message, and every matrix compressed exactly as on its own.</summary>
public class PowerSgdBatchingTests
{
    private const int Matrices = 3, Rows = 41, Cols = 23, Rank = 3;
    private static readonly MatrixShape Stacked = new(Matrices * Rows, Cols);
    private static readonly MatrixShape Single = new(Rows, Cols);

    private static float[] Gradient(int step) => Samples.Uniform<float>(Matrices * Rows * Cols, seed: 500 + step);

    private static float[] Block(float[] stacked, int b, int blockLength) => stacked.AsSpan(b * blockLength, blockLength).ToArray();

    [Test]
    public void EveryMatrixIsCompressedBitForBitAsOnItsOwn()
    {
        var batched = new PowerSgd(Rank, warmUpSteps: 1, seed: 9, matrices: Matrices);
        PowerSgd[] separate = Enumerable.Range(0, Matrices).Select(_ => new PowerSgd(Rank, warmUpSteps: 1, seed: 9)).ToArray();
        for (int step = 0; step < 4; step++)
        {
            float[] g = Gradient(step);
            LowRankMessage message = batched.Compress(g, Stacked);
            LowRankMessage[] alone = separate.Select((c, b) => c.Compress(Block(g, b, Rows * Cols), Single)).ToArray();
            string context = $"step {step}";
            Assert.That(message.IsDense, Is.EqualTo(step == 0), $"{context}: warm-up is dense");
            Assert.That(message.PayloadBytes, Is.EqualTo(alone.Sum(m => m.PayloadBytes)), $"{context}: one message carries every matrix");
            if (!message.IsDense)
            {
                Assert.That(message.Matrices, Is.EqualTo(Matrices));
                Compare.Bitwise<float>(message.P, alone.SelectMany(m => m.P.ToArray()).ToArray(), $"{context}: stacked P blocks");
                Compare.Bitwise<float>(message.Q, alone.SelectMany(m => m.Q.ToArray()).ToArray(), $"{context}: stacked Q blocks");
            }
            var dense = new float[g.Length];
            batched.Decompress(message, dense);
            var expected = new float[g.Length];
            for (int b = 0; b < Matrices; b++) separate[b].Decompress(alone[b], expected.AsSpan(b * Rows * Cols, Rows * Cols));
            Compare.Bitwise<float>(dense, expected, $"{context}: decompressed");
        }
    }

    [Test]
    public void ANonFiniteMatrixSendsTheBatchDenseAndKeepsTheWarmStart()
    {
        var batched = new PowerSgd(Rank, seed: 2, matrices: Matrices);
        var reference = new PowerSgd(Rank, seed: 2, matrices: Matrices);
        batched.Compress(Gradient(0), Stacked);
        reference.Compress(Gradient(0), Stacked);
        float[] poisoned = Gradient(1);
        poisoned[2 * Rows * Cols + 5] = float.PositiveInfinity;  // the last matrix only
        Assert.That(batched.Compress(poisoned, Stacked).IsDense, Is.True);
        Compare.Bitwise<float>(batched.Compress(Gradient(2), Stacked).Q, reference.Compress(Gradient(2), Stacked).Q, "warm start unchanged");
    }

    [Test]
    public void WithErrorFeedbackSaveRestoreContinueIsBitIdentical()
    {
        ErrorFeedbackCompressor<LowRankMessage> Make() => new(new PowerSgd(Rank, seed: 4, matrices: Matrices), ErrorFeedback.Ef14());
        var uninterrupted = new CompressionRun<LowRankMessage>(Make());
        var first = new CompressionRun<LowRankMessage>(Make());
        for (int step = 0; step < 2; step++)
        {
            uninterrupted.Step(Gradient(step), Stacked, reconstruct: true);
            first.Step(Gradient(step), Stacked, reconstruct: true);
        }
        var resumed = new CompressionRun<LowRankMessage>(Make());
        resumed.Restore(first.Save());
        for (int step = 2; step < 5; step++)
        {
            Compare.Bitwise<float>(resumed.Step(Gradient(step), Stacked, reconstruct: true),
                uninterrupted.Step(Gradient(step), Stacked, reconstruct: true), $"step {step}");
        }
        var unbatched = new CompressionRun<LowRankMessage>(new(new PowerSgd(Rank, seed: 4), ErrorFeedback.Ef14()));
        var e = Assert.Throws<ArgumentException>(() => unbatched.Restore(first.Save()))!;
        Assert.That(e.ParamName, Is.EqualTo("state"), "batched state does not restore into an unbatched compressor");
    }

    [Test]
    public void BadShapesThrowAndChangeNothing()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PowerSgd(Rank, matrices: 0));
        var batched = new PowerSgd(Rank, seed: 1, matrices: Matrices);
        var e = Assert.Throws<ArgumentException>(() => batched.Compress(new float[(Matrices * Rows + 1) * Cols], new MatrixShape(Matrices * Rows + 1, Cols)))!;
        Assert.That(e.ParamName, Is.EqualTo("shape"), e.Message);
        Assert.That(batched.Step, Is.Zero, "a rejected call does not count as a step");
        Assert.Throws<ArgumentOutOfRangeException>(() => new PowerSgd(rank: 2, matrices: 4).Compress(new float[4 * 1 * 5], new MatrixShape(4, 5)),
            "rank above the rows of one matrix");
    }
}
