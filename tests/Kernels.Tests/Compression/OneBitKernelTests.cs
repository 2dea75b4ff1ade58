using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class OneBitKernelTests(string target) : PerTargetFixture(target)
{
    private static readonly int[] Chunks = [1, 5, 32, 33, 1000, int.MaxValue];

    [Test]
    public void GoldenBitOrderSignedZerosAndNaN()
    {
        // Element i -> bit i % 32 of word i / 32; set = negative; +0 and -0 clear; NaN by its sign bit.
        var x = new float[40];
        Array.Fill(x, 1f);
        x[0] = -1f;                                   // word 0 bit 0
        x[1] = -0f;                                   // clear
        x[2] = 0f;                                    // clear
        x[3] = float.NaN;                             // .NET's NaN constant has the sign bit set
        x[4] = BitConverter.UInt32BitsToSingle(0x7FC0_0000); // positive quiet NaN: clear
        x[5] = float.NegativeInfinity;                // set
        x[31] = -float.Epsilon;                       // word 0 bit 31
        x[32] = -3f;                                  // word 1 bit 0
        x[39] = -1e-30f;                              // word 1 bit 7
        Assert.That(float.IsNegative(float.NaN), "test premise: float.NaN has its sign bit set");
        SignMessage message = new OneBit(chunkSize: 40).Compress(x, MatrixShape.Vector(x.Length));
        Assert.That(message.Signs.ToArray(), Is.EqualTo(new uint[] { 0x8000_0029u, 0x0000_0081u }));
        // Scale over the 37 finite elements (not the two NaNs and -Inf): 32 of magnitude 1, |-3|, and ~0 or 0.
        Assert.That(message.Scales[0], Is.EqualTo(35f / 37f).Within(1e-6));
        var decompressed = new float[x.Length];
        new OneBit(chunkSize: 40).Decompress(message, decompressed);
        Assert.That(decompressed[1], Is.EqualTo(message.Scales[0]), "-0 decompresses to +scale");
        Assert.That(decompressed[3], Is.EqualTo(-message.Scales[0]), "a NaN with its sign bit decompresses to -scale");
    }

    [Test]
    public void ScalesMatchFloat64AndDecompressIsSignTimesScale([Values] OneBitScale scale)
    {
        foreach (int n in Samples.OddLengths)
            foreach (int chunk in Chunks)
            {
                float[] x = Samples.Uniform<float>(n, seed: n + chunk % 1000);
                x[n / 2] = float.NaN;
                if (n > 3) x[n - 2] = float.NegativeInfinity;
                var compressor = new OneBit(chunk, scale);
                SignMessage message = compressor.Compress(x, MatrixShape.Vector(n));
                string context = $"{TargetName} n={n} chunk={chunk} {scale}";
                Assert.That(message.Signs.ToArray(), Is.EqualTo(CompressionReference.SignWords(x)), context);
                // fp32 sums of up to ~3000 terms over 16 lanes: well inside 1e-5 relative.
                Compare.Near<float>(message.Scales, CompressionReference.ChunkScales(x, chunk, scale == OneBitScale.Rms), ulps: 2, context, relative: 1e-5);
                var decompressed = new float[n];
                compressor.Decompress(message, decompressed);
                for (int i = 0; i < n; i++)
                {
                    float s = message.Scales[(int)((long)i / chunk)];
                    bool negative = (message.Signs[i / 32] >> (i % 32) & 1) != 0;
                    Assert.That(BitConverter.SingleToUInt32Bits(decompressed[i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(negative ? -s : s)), $"{context} [{i}]");
                }
            }
    }

    [Test]
    public void FusedErrorUpdateKeepsGradientMassWithinOneUlp([Values] OneBitScale scale)
    {
        foreach (int n in Samples.OddLengths)
            foreach (int chunk in Chunks)
            {
                var compressor = new OneBit(chunk, scale);
                var ef = new ErrorFeedbackCompressor<SignMessage>(compressor, ErrorFeedback.Ef14());
                var run = new CompressionRun<SignMessage>(ef);
                float[] eOld = new float[n];
                Array.Fill(eOld, -0f);
                for (int step = 0; step < 3; step++)
                {
                    float[] g = Samples.Uniform<float>(n, seed: 31 * n + step);
                    SignMessage message = ef.Compress(g, MatrixShape.Vector(n));
                    var d = new float[n];
                    compressor.Decompress(message, d);
                    float[] eNew = run.SavedArrays()[0];
                    Invariants.AssertMassConserved(g, eOld, d, eNew, $"{TargetName} n={n} chunk={chunk} step={step}");
                    eOld = eNew;
                }
            }
    }
}
