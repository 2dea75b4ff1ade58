using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>
/// 1-bit decompress calls with at least 6 MiB of f32 output write it with non-temporal stores after a regular-store head up to the
/// first aligned element of each chunk: the result must still be exactly +-scale per element on every target, at any
/// alignment of the destination and any chunk size (including chunks shorter than a vector).
/// </summary>
[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported)), NonParallelizable]
public class OneBitStreamingTests(string target) : PerTargetFixture(target)
{
    // One call (one thread) above the 6 MiB streaming threshold, not a multiple of 32 or of any chunk below.
    private const int Length = 1_600_037;

    [Test]
    public void LargeOutputsAreSignTimesScaleAtEveryAlignment([Values(3, 7, 1000, 2048)] int chunk, [Values(0, 1, 3)] int offset)
    {
        float[] x = Samples.Uniform<float>(Length, seed: chunk + offset);
        x[Length / 3] = float.NaN;
        var compressor = new OneBit(chunk);
        SignMessage message = compressor.Compress(x, MatrixShape.Vector(Length));
        var buffer = new float[Length + offset + 1];
        buffer[^1] = 12345f;
        ThreadCount.With(1, () =>
        {
            compressor.Decompress(message, buffer.AsSpan(offset, Length));
            return 0;
        });
        for (int i = 0; i < offset; i++) Assert.That(buffer[i], Is.Zero, $"{TargetName}: wrote before the destination");
        Assert.That(buffer[^1], Is.EqualTo(12345f), $"{TargetName}: wrote past the destination");
        for (int i = 0; i < Length; i++)
        {
            float scale = message.Scales[i / chunk];
            bool negative = (message.Signs[i / 32] >> (i % 32) & 1) != 0;
            float expected = negative ? -scale : scale;
            if (BitConverter.SingleToUInt32Bits(buffer[offset + i]) != BitConverter.SingleToUInt32Bits(expected))
            {
                Assert.Fail($"{TargetName} chunk {chunk} offset {offset}: element {i} is {buffer[offset + i]}, expected {expected}");
            }
        }
    }
}
