using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>cuda/convert.cu under the emulator gives the CPU kernel's exact bits for every pair of storage types.</summary>
public class EmulatedConvertTests
{
    private static readonly int[] Lengths = [1, 7, 97, 1025];

    [Test]
    public void ConvertMatchesCpuBitForBit([Values] Storage from, [Values] Storage to, [Values(1f, 0.3f, -2f)] float scale, [Values(0, 1)] int misalignment)
        => from.Run(new FromCase(to, scale, misalignment));

    [Test]
    public void EverySixteenBitPatternWidensAndNarrowsLikeCpu([Values(Storage.F16, Storage.BF16)] Storage storage)
        => storage.Run(new AllPatternsCase());

    [Test]
    public void RandomFloatBitPatternsNarrowLikeCpu([Values(Storage.F16, Storage.BF16)] Storage storage)
        => storage.Run(new RandomBitsCase());

    private sealed record FromCase(Storage To, float Scale, int Misalignment) : IStorageTest
    {
        public void Run<TFrom>() where TFrom : unmanaged => To.Run(new PairCase<TFrom>(Scale, Misalignment));
    }

    private sealed record PairCase<TFrom>(float Scale, int Misalignment) : IStorageTest where TFrom : unmanaged
    {
        public void Run<TTo>() where TTo : unmanaged
        {
            foreach (int n in Lengths)
            foreach (var (grid, block) in LaunchShapes.Elementwise)
            {
                TFrom[] src = Samples.Uniform<TFrom>(n, seed: n, low: -70000f, high: 70000f);
                var expected = new TTo[n];
                Conversion.Convert<TFrom, TTo>(src, expected, Scale);
                using var ds = new AlignedArray<TFrom>(src, Misalignment);
                using var dd = new AlignedArray<TTo>(new TTo[n], Misalignment);
                Emulator.Convert<TFrom, TTo>(ds.Span, dd.Span, Scale, grid, block);
                Compare.Bitwise<TTo>(dd.Span, expected, $"{typeof(TFrom).Name}->{typeof(TTo).Name} n={n} scale={Scale} grid={grid} block={block} misaligned={Misalignment}");
            }
        }
    }

    private sealed record AllPatternsCase : IStorageTest
    {
        public unsafe void Run<T>() where T : unmanaged
        {
            var patterns = new T[65536];
            for (int i = 0; i < patterns.Length; i++)
            {
                ushort bits = (ushort)i;
                patterns[i] = *(T*)&bits;
            }
            var widenedCpu = new float[patterns.Length];
            var widened = new float[patterns.Length];
            Conversion.Convert<T, float>(patterns, widenedCpu);
            Emulator.Convert<T, float>(patterns, widened, 1f, 8, 256);
            Compare.Bitwise<float>(widened, widenedCpu, $"{typeof(T).Name} -> float");

            var narrowedCpu = new T[patterns.Length];
            var narrowed = new T[patterns.Length];
            Conversion.Convert<float, T>(widenedCpu, narrowedCpu);
            Emulator.Convert<float, T>(widenedCpu, narrowed, 1f, 8, 256);
            Compare.Bitwise<T>(narrowed, narrowedCpu, $"float -> {typeof(T).Name}");
        }
    }

    /// <summary>Random 32-bit patterns: every exponent, subnormals, NaN payloads, ties at every magnitude.</summary>
    private sealed record RandomBitsCase : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            var random = new Random(17);
            float[] source = Enumerable.Range(0, 8192).Select(_ => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32))).ToArray();
            var expected = new T[source.Length];
            var actual = new T[source.Length];
            Conversion.Convert<float, T>(source, expected, 1f);
            Emulator.Convert<float, T>(source, actual, 1f, 4, 128);
            Compare.Bitwise<T>(actual, expected, $"random float bits -> {typeof(T).Name}");
        }
    }
}
