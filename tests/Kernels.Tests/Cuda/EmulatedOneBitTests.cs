using Kernels.Compression;
using Kernels.Execution;
using Kernels.Interop;
using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/onebit.cu under the emulator gives the CPU kernels' exact bits: sign words, chunk scales (both kinds), the EF14
/// residual and the decompressed values, with NaN of either sign, infinities, signed zeros and subnormals mixed in.
/// </summary>
public unsafe class EmulatedOneBitTests
{
    private static readonly int[] Lengths = [1, 31, 33, 97, 1025];
    private static readonly int[] ChunkSizes = [1, 7, 16, 100, 2048];

    [Test]
    public void CompressMatchesCpuBitForBit([Values] Storage storage, [Values] OneBitScale scale, [Values] bool errorFeedback)
        => storage.Run(new CompressCase(scale == OneBitScale.Rms ? kne_scale_kind.KNE_SCALE_RMS : kne_scale_kind.KNE_SCALE_MEAN_ABS, errorFeedback));

    [Test]
    public void DecompressMatchesCpuBitForBit([Values] Storage storage)
        => storage.Run(new DecompressCase());

    // Ordinary values with specials sprinkled in (every 5th element from index 2).
    internal static T[] WithSpecials<T>(int n, int seed) where T : unmanaged
    {
        float[] specials =
        [
            float.NaN, -float.NaN, BitConverter.UInt32BitsToSingle(0xFFC12345), float.PositiveInfinity, float.NegativeInfinity,
            0f, -0f, 1e-40f, -1e-40f,
        ];
        T[] values = Samples.Uniform<T>(n, seed);
        for (int i = 2, s = seed; i < n; i += 5, s++)
            values[i] = typeof(T) == typeof(float) ? (T)(object)specials[s % specials.Length] : Values.From<T>(specials[s % specials.Length]);
        return values;
    }

    private sealed record CompressCase(kne_scale_kind Kind, bool ErrorFeedback) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (int n in Lengths)
            foreach (int chunk in ChunkSizes)
            foreach (var (grid, block) in LaunchShapes.Elementwise)
            {
                T[] g = WithSpecials<T>(n, seed: n + chunk);
                float[]? e = ErrorFeedback ? WithSpecials<float>(n, seed: 7 * n + chunk).Select(v => v * 0.25f).ToArray() : null;
                int words = (n + 31) / 32, chunks = (n + chunk - 1) / chunk;
                uint[] signs = new uint[words], expectedSigns = new uint[words];
                float[] scales = new float[chunks], expectedScales = new float[chunks];
                float[]? eNew = e == null ? null : new float[n], expectedENew = e == null ? null : new float[n];
                fixed (T* pg = g)
                fixed (float* pe = e, pn = expectedENew, ps = expectedScales)
                fixed (uint* pw = expectedSigns)
                {
                    var kind = (kn_scale_kind)(int)Kind;
                    Native.Check(e == null
                        ? NativeMethods.kn_onebit_compress_typed(ElementTypes.Of<T>(), pg, (nuint)n, (nuint)chunk, kind, pw, ps)
                        : NativeMethods.kn_onebit_compress_ef_typed(ElementTypes.Of<T>(), pg, pe, (nuint)n, (nuint)chunk, kind, pw, ps, pn));
                }
                Emulator.OneBitCompress<T>(g, e, chunk, Kind, signs, scales, eNew, grid, block);
                string context = $"{Kind} ef={ErrorFeedback} n={n} chunk={chunk} grid={grid} block={block}";
                Assert.That(signs, Is.EqualTo(expectedSigns), $"sign words, {context}");
                Compare.Bitwise<float>(scales, expectedScales, $"scales, {context}");
                if (eNew != null)
                    Compare.Bitwise<float>(eNew, expectedENew!, $"e_new, {context}");
            }
        }
    }

    private sealed record DecompressCase : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (int n in Lengths)
            foreach (int chunk in ChunkSizes)
            {
                int words = (n + 31) / 32, chunks = (n + chunk - 1) / chunk;
                var random = new Random(n * 31 + chunk);
                uint[] signs = Enumerable.Range(0, words).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
                float[] scales = Samples.Uniform<float>(chunks, seed: chunk, low: 0f, high: 3f);
                scales[0] = chunks > 1 ? float.PositiveInfinity : scales[0];
                T[] expected = new T[n], actual = new T[n];
                fixed (uint* pw = signs)
                fixed (float* ps = scales)
                fixed (T* pd = expected)
                    Native.Check(NativeMethods.kn_onebit_decompress_typed(pw, ps, (nuint)n, (nuint)chunk, ElementTypes.Of<T>(), pd));
                Emulator.OneBitDecompress<T>(signs, scales, chunk, actual, 3, 64);
                Compare.Bitwise<T>(actual, expected, $"decompress n={n} chunk={chunk}");
            }
        }
    }
}
