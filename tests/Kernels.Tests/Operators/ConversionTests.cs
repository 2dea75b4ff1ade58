using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Operators;

[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class ConversionTests(string target) : PerTargetFixture(target)
{
    [Test]
    public void EveryPairMatchesTheReferenceRounding([Values] Storage from, [Values] Storage to, [Values(1f, 0.37f)] float scale)
        => from.Run(new FromCase(to, scale, TargetName));

    /// <summary>Every one of the 65536 half and bfloat16 bit patterns widens exactly and narrows back to itself.</summary>
    [Test]
    public void AllSixteenBitPatternsRoundTrip([Values(Storage.F16, Storage.BF16)] Storage storage) => storage.Run(new RoundTripCase(TargetName));

    /// <summary>Ties, the largest finite values, overflow, subnormals and NaN: bit-exact against the reference rounding.</summary>
    [Test]
    public void NarrowingEdgeCasesRoundToNearestEven([Values(Storage.F16, Storage.BF16)] Storage storage) => storage.Run(new EdgeCase(TargetName));

    private sealed record FromCase(Storage To, float Scale, string Target) : IStorageTest
    {
        public void Run<TFrom>() where TFrom : unmanaged => To.Run(new PairCase<TFrom>(Scale, Target));
    }

    private sealed record PairCase<TFrom>(float Scale, string Target) : IStorageTest where TFrom : unmanaged
    {
        public void Run<TTo>() where TTo : unmanaged
        {
            foreach (int n in Samples.OddLengths)
            {
                TFrom[] source = Samples.Uniform<TFrom>(n, seed: 5 * n, low: -70000f, high: 70000f);
                var destination = new TTo[n];
                Conversion.Convert<TFrom, TTo>(source, destination, Scale);
                string context = $"{Target} {typeof(TFrom).Name}->{typeof(TTo).Name} n={n} scale={Scale}";
                if (Scale == 1f)
                {
                    // One rounding of an exact value: must be the reference's bits.
                    TTo[] expected = source.Select(v => Values.Round<TTo>(Values.ToDouble(v))).ToArray();
                    Compare.Bitwise<TTo>(destination, expected, context);
                }
                else
                {
                    double[] expected = source.Select(v => Values.ToDouble(v) * Scale).ToArray();
                    Compare.Near<TTo>(destination, expected, ulps: 1, context);
                }
            }
        }
    }

    private sealed record RoundTripCase(string Target) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            var patterns = new T[65536];
            for (int i = 0; i < patterns.Length; i++)
            {
                ushort bits = (ushort)i;
                patterns[i] = System.Runtime.CompilerServices.Unsafe.As<ushort, T>(ref bits);
            }
            var widened = new float[patterns.Length];
            Conversion.Convert<T, float>(patterns, widened);
            for (int i = 0; i < patterns.Length; i++)
            {
                double exact = Values.ToDouble(patterns[i]);
                Assert.That(double.IsNaN(exact) ? float.IsNaN(widened[i]) : widened[i] == exact, $"{Target}: widening 0x{i:X4} gave {widened[i]}");
            }
            var narrowed = new T[patterns.Length];
            Conversion.Convert<float, T>(widened, narrowed);
            for (int i = 0; i < patterns.Length; i++)
            {
                bool nan = Values.IsNaN(patterns[i]);
                Assert.That(nan ? Values.IsNaN(narrowed[i]) : Values.Bits16(narrowed[i]) == i, $"{Target}: 0x{i:X4} did not survive f32 and back");
            }
        }
    }

    private sealed record EdgeCase(string Target) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            int precision = Values.Precision<T>();
            double maxFinite = typeof(T) == typeof(Half) ? 65504 : (double)BitConverter.UInt32BitsToSingle(0x7F7F0000);
            double halfUlpAtOne = Math.ScaleB(1, -precision);
            double smallestNormal = typeof(T) == typeof(Half) ? Math.ScaleB(1, -14) : Math.ScaleB(1, -126);
            float[] edges =
            [
                (float)(1 + halfUlpAtOne),                 // tie, even below: 1
                (float)(1 + 3 * halfUlpAtOne),             // tie, even above
                (float)(1 + halfUlpAtOne + halfUlpAtOne / 4), // just above a tie: up
                (float)maxFinite, (float)-maxFinite,
                (float)Math.Min(maxFinite * (1 + halfUlpAtOne / 2), float.MaxValue), // rounds down to max
                float.MaxValue, float.MinValue,            // overflow to infinity
                (float)(smallestNormal / 2), (float)(smallestNormal * 3 / 8), (float)(smallestNormal / 1024), // subnormal range
                1e-30f, -1e-30f, 0f, -0f,
                float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
                BitConverter.UInt32BitsToSingle(0x7F800001), // signalling NaN with a low payload: must stay NaN
            ];
            var narrowed = new T[edges.Length];
            Conversion.Convert<float, T>(edges, narrowed);
            for (int i = 0; i < edges.Length; i++)
            {
                T want = Values.Round<T>(edges[i]);
                bool ok = Values.IsNaN(want) ? Values.IsNaN(narrowed[i]) : Values.Bits16(narrowed[i]) == Values.Bits16(want);
                Assert.That(ok, $"{Target}: {edges[i]:R} narrowed to 0x{Values.Bits16(narrowed[i]):X4}, expected 0x{Values.Bits16(want):X4}");
            }
        }
    }
}
