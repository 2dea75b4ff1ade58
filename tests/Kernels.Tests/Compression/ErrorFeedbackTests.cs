using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

public class ErrorFeedbackTests
{
    private const int Rows = 37, Cols = 29;
    private static readonly MatrixShape Shape = new(Rows, Cols);

    internal static float[] Gradient(int step, int length = Rows * Cols) => Samples.Uniform<float>(length, seed: 1000 + step, -2f, 2f);

    public static IEnumerable<TestCaseData> Feedbacks()
    {
        yield return new TestCaseData((Func<ErrorFeedback>)ErrorFeedback.Ef14).SetArgDisplayNames("Ef14");
        yield return new TestCaseData((Func<ErrorFeedback>)ErrorFeedback.Ef21).SetArgDisplayNames("Ef21");
        yield return new TestCaseData((Func<ErrorFeedback>)(() => ErrorFeedback.EControl(0.5f))).SetArgDisplayNames("EControl");
        yield return new TestCaseData((Func<ErrorFeedback>)ErrorFeedback.None).SetArgDisplayNames("None");
    }

    /// <summary>One worker step and the receiver's reconstruction, as a world of one rank would run it.</summary>
    internal static float[] Step<TMessage>(ErrorFeedbackCompressor<TMessage> ef, float[] gradient, MatrixShape shape) where TMessage : CompressedMessage
    {
        TMessage message = ef.Compress(gradient, shape);
        var estimate = new float[gradient.Length];
        ef.Decompress(message, estimate);
        ef.Reconstruct(estimate);
        return estimate;
    }

    [TestCaseSource(nameof(Feedbacks))]
    public void IdentityCompressorReproducesTheDenseGradient(Func<ErrorFeedback> feedback)
    {
        var ef = new ErrorFeedbackCompressor<LowRankMessage>(new IdentityCompressor(), feedback());
        string kind = feedback().GetType().Name;
        for (int step = 0; step < 5; step++)
        {
            float[] g = Gradient(step);
            g[3] = -0f;
            g[4] = 0f;
            float[] estimate = Step(ef, g, Shape);
            if (kind is "Ef14Feedback" or "NoFeedback" || step == 0)
            {
                // EF14's residual of an exact compressor is -0, the additive identity: bit for bit, signed zeros included.
                Compare.Bitwise<float>(estimate, g, $"{kind} step {step}");
            }
            else
            {
                // EF21 and EControl rebuild g as h + (g - h): exact in real arithmetic, one rounding of |g - h| in fp32.
                for (int i = 0; i < g.Length; i++)
                {
                    double bound = Values.Ulp<float>(Math.Abs(g[i]) + 4);
                    Assert.That(Math.Abs(estimate[i] - g[i]), Is.LessThanOrEqualTo(bound), $"{kind} step {step} [{i}]");
                }
            }
        }
    }

    public static IEnumerable<TestCaseData> Compressors()
    {
        yield return new TestCaseData("TopK").SetArgDisplayNames("TopK");
        yield return new TestCaseData("TopKSampled").SetArgDisplayNames("TopKSampled");
        yield return new TestCaseData("OneBit").SetArgDisplayNames("OneBit");
        yield return new TestCaseData("PowerSgd").SetArgDisplayNames("PowerSgd");
    }

    /// <summary>A fresh error-feedback compressor of the named kind, as an untyped step function plus its state I/O.</summary>
    internal static ICompressionRun Create(string compressor, ErrorFeedback feedback) => compressor switch
    {
        "TopK" => new CompressionRun<SparseMessage>(new ErrorFeedbackCompressor<SparseMessage>(new TopK(50), feedback)),
        "TopKSampled" => new CompressionRun<SparseMessage>(new ErrorFeedbackCompressor<SparseMessage>(TopK.Sampled(50, 200, seed: 7), feedback)),
        "OneBit" => new CompressionRun<SignMessage>(new ErrorFeedbackCompressor<SignMessage>(new OneBit(100), feedback)),
        "PowerSgd" => new CompressionRun<LowRankMessage>(new ErrorFeedbackCompressor<LowRankMessage>(new PowerSgd(3, warmUpSteps: 1, seed: 5), feedback)),
        _ => throw new ArgumentOutOfRangeException(nameof(compressor)),
    };

    [TestCaseSource(nameof(Compressors))]
    public void Ef14KeepsGradientMassWithinOneUlp(string compressor)
    {
        ICompressionRun run = Create(compressor, ErrorFeedback.Ef14());
        float[] residual = new float[Rows * Cols];
        Array.Fill(residual, -0f);
        for (int step = 0; step < 4; step++)
        {
            float[] g = Gradient(step);
            float[] d = run.Step(g, Shape, reconstruct: false);
            float[] newResidual = run.SavedArrays()[0];
            Invariants.AssertMassConserved(g, residual, d, newResidual, $"{compressor} step {step}");
            residual = newResidual;
        }
    }

    [Test]
    public void FusedOneBitEf14EqualsTheUnfusedSequenceBitForBit()
    {
        var fused = new ErrorFeedbackCompressor<SignMessage>(new OneBit(33, OneBitScale.Rms), ErrorFeedback.Ef14());
        var unfused = new ErrorFeedbackCompressor<SignMessage>(new UnfusedOneBit(new OneBit(33, OneBitScale.Rms)), ErrorFeedback.Ef14());
        for (int step = 0; step < 4; step++)
        {
            float[] g = Gradient(step);
            g[7] = float.NaN;
            Compare.Bitwise<float>(Step(fused, g, Shape), Step(unfused, g, Shape), $"step {step}");
        }
    }

    [TestCaseSource(nameof(Compressors))]
    public void NonFiniteGradientsPropagateButNeverReachOtherResiduals(string compressor)
    {
        foreach (var makeFeedback in Feedbacks().Select(d => (Func<ErrorFeedback>)d.Arguments[0]!))
        {
            ICompressionRun clean = Create(compressor, makeFeedback()), dirty = Create(compressor, makeFeedback());
            for (int step = 0; step < 3; step++)
            {
                float[] g = Gradient(step);
                float[] poisoned = (float[])g.Clone();
                int[] bad = [5, 200, 777];
                poisoned[bad[0]] = float.NaN;
                poisoned[bad[1]] = float.PositiveInfinity;
                poisoned[bad[2]] = float.NegativeInfinity;
                clean.Step(g, Shape, reconstruct: true);
                dirty.Step(poisoned, Shape, reconstruct: true);
                string context = $"{compressor} {makeFeedback().GetType().Name} step {step}";
                float[][] cleanState = clean.SavedArrays(), dirtyState = dirty.SavedArrays();
                for (int a = 0; a < cleanState.Length; a++)
                    for (int i = 0; i < cleanState[a].Length; i++)
                    {
                        if (bad.Contains(i)) continue;
                        // Other elements may change because the compressor's choice changed (top-k selects the bad values,
                        // 1-bit scales skip them, PowerSGD falls back to dense), but they must stay finite.
                        Assert.That(float.IsFinite(dirtyState[a][i]), $"{context}: state array {a} element {i} became {dirtyState[a][i]}");
                    }
            }
        }
    }
}
