using Kernels.Compression;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>Every bad-input rule of the compression API: an ArgumentException naming the argument, state untouched.</summary>
public class CompressionBadInputTests
{
    private static void AssertNames(TestDelegate call, string parameter)
    {
        var exception = Assert.Throws(Is.InstanceOf<ArgumentException>(), call) as ArgumentException;
        Assert.That(exception!.ParamName, Is.EqualTo(parameter), exception.Message);
    }

    [Test]
    public void TopKRejectsKOutOfRange()
    {
        AssertNames(() => new TopK(0), "k");
        AssertNames(() => new TopK(-3), "k");
        AssertNames(() => TopK.Sampled(0, 10, 1), "k");
        AssertNames(() => new TopK(9).Compress(new float[8], MatrixShape.Vector(8)), "k");
        AssertNames(() => TopK.Sampled(5, 0, 1), "sampleSize");
        AssertNames(() => TopK.Sampled(5, 10, 1, capacityFactor: 0.5), "capacityFactor");
    }

    [Test]
    public void PowerSgdRejectsRankOutOfRange()
    {
        AssertNames(() => new PowerSgd(0), "rank");
        AssertNames(() => new PowerSgd(33), "rank");
        AssertNames(() => new PowerSgd(2, warmUpSteps: -1), "warmUpSteps");
        var powerSgd = new PowerSgd(4);
        AssertNames(() => powerSgd.Compress(new float[30], new MatrixShape(3, 10)), "rank");
        Assert.That(powerSgd.Step, Is.Zero, "a rejected step does not count");
    }

    [Test]
    public void OneBitRejectsChunkSizeZero()
    {
        AssertNames(() => new OneBit(0), "chunkSize");
        AssertNames(() => new OneBit(8, (OneBitScale)7), "scale");
        AssertNames(() => new OneBit(8).Decompress(new OneBit(16).Compress(new float[4], MatrixShape.Vector(4)), new float[4]), "message");
        AssertNames(() => new OneBit(8).Decompress(new OneBit(8).Compress(new float[4], MatrixShape.Vector(4)), new float[5]), "destination");
    }

    [Test]
    public void ShapeMustMatchTheGradientAndBePositive()
    {
        AssertNames(() => new TopK(1).Compress(new float[6], new MatrixShape(2, 2)), "gradient");
        AssertNames(() => new OneBit().Compress(new float[0], new MatrixShape(0, 3)), "shape");
        var ef = new ErrorFeedbackCompressor<SparseMessage>(new TopK(1), ErrorFeedback.Ef14());
        AssertNames(() => ef.Compress(new float[6], new MatrixShape(7, 1)), "gradient");
    }

    [Test]
    public void StatefulCompressorsRejectAShapeChangeAndKeepTheirState()
    {
        foreach (string compressor in new[] { "TopK", "OneBit", "PowerSgd" })
            foreach (ErrorFeedback feedback in new[] { ErrorFeedback.Ef14(), ErrorFeedback.Ef21(), ErrorFeedback.EControl(0.5f) })
            {
                ICompressionRun run = ErrorFeedbackTests.Create(compressor, feedback);
                run.Step(ErrorFeedbackTests.Gradient(0), new MatrixShape(37, 29), reconstruct: true);
                byte[] before = run.Save();
                AssertNames(() => run.Step(ErrorFeedbackTests.Gradient(1), new MatrixShape(29, 37), reconstruct: true), "shape");
                Assert.That(run.Save(), Is.EqualTo(before), $"{compressor}: state changed by a rejected step");
            }
        var powerSgd = new PowerSgd(2);
        powerSgd.Compress(new float[12], new MatrixShape(3, 4));
        AssertNames(() => powerSgd.Compress(new float[12], new MatrixShape(4, 3)), "shape");
    }

    [Test]
    public void AStepTheCompressorRejectsBindsNoShapeAndAllocatesNoResidual()
    {
        var ef = new ErrorFeedbackCompressor<SparseMessage>(new TopK(40), ErrorFeedback.Ef14());
        var run = new CompressionRun<SparseMessage>(ef);
        byte[] fresh = run.Save();
        AssertNames(() => ef.Compress(new float[10], MatrixShape.Vector(10)), "k");
        Assert.That(run.Save(), Is.EqualTo(fresh), "the rejected step changed the state");
        Assert.DoesNotThrow(() => ef.Compress(new float[50], MatrixShape.Vector(50)), "the shape is still free");
    }

    [Test]
    public void ScatterRejectsBadIndicesAndLengths()
    {
        var dense = new float[4];
        AssertNames(() => Sparse.Scatter([0, 4], [1f, 2f], dense), "indices");
        AssertNames(() => Sparse.ScatterAdd([-1], [1f], dense), "indices");
        AssertNames(() => Sparse.Scatter([0, 1], [1f], dense), "values");
        Assert.That(dense, Is.All.EqualTo(0f), "a rejected scatter writes nothing");
    }

    [Test]
    public void ReconstructRejectsAnotherLength()
    {
        var ef = new ErrorFeedbackCompressor<SparseMessage>(new TopK(2), ErrorFeedback.Ef21());
        ef.Compress(new float[8], MatrixShape.Vector(8));
        AssertNames(() => ef.Reconstruct(new float[7]), "aggregate");
    }
}
