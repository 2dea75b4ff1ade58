using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>1-bit splits large buffers over cores at chunk and sign-word boundaries: any thread count gives the same bits.</summary>
[NonParallelizable]
public class OneBitThreadingTests
{
    // Above the 2 MiB a call must move before it is split, and not a multiple of 32 or of any chunk below.
    private const int Length = (1 << 20) + 37;

    [Test]
    public void EveryThreadCountGivesTheSingleThreadBits([Values(1, 33, 100, 2048)] int chunk)
    {
        float[] g = Samples.Uniform<float>(Length, seed: chunk);
        float[] e = Samples.Uniform<float>(Length, seed: chunk + 1, -0.5f, 0.5f);
        g[Length / 2] = float.NaN;
        var results = new[] { 1, 2, 3 }.Select(threads => ThreadCount.With(threads, () => Run(g, e, chunk))).ToArray();
        for (int t = 1; t < results.Length; t++)
        {
            string context = $"{t + 1} threads, chunk {chunk}";
            Assert.That(results[t].Signs, Is.EqualTo(results[0].Signs), $"{context}: signs");
            Compare.Bitwise<float>(results[t].Scales, results[0].Scales, $"{context}: scales");
            Compare.Bitwise<float>(results[t].Decompressed, results[0].Decompressed, $"{context}: decompressed");
            Assert.That(results[t].FusedState, Is.EqualTo(results[0].FusedState), $"{context}: fused message and residual");
        }
    }

    private static (uint[] Signs, float[] Scales, float[] Decompressed, byte[] FusedState) Run(float[] g, float[] e, int chunk)
    {
        var compressor = new OneBit(chunk);
        SignMessage message = compressor.Compress(g, MatrixShape.Vector(Length));
        var decompressed = new float[Length];
        compressor.Decompress(message, decompressed);
        var ef = new ErrorFeedbackCompressor<SignMessage>(compressor, ErrorFeedback.Ef14());
        ef.Compress(e, MatrixShape.Vector(Length));
        SignMessage fused = ef.Compress(g, MatrixShape.Vector(Length));
        var state = new MemoryStream();
        ef.SaveState(state);
        foreach (uint word in fused.Signs) state.Write(BitConverter.GetBytes(word));
        return (message.Signs.ToArray(), message.Scales.ToArray(), decompressed, state.ToArray());
    }
}
