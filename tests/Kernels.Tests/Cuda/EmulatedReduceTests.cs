using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>cuda/reduce.cu under the emulator gives the CPU kernels' exact bits (NaN payloads included).</summary>
public class EmulatedReduceTests
{
    private static readonly ReduceOp[] KernelOps = [ReduceOp.Sum, ReduceOp.Max, ReduceOp.Min];
    private static readonly int[] Lengths = [1, 7, 97, 1025];

    [Test]
    public void CombineMatchesCpuBitForBit([Values] Storage storage, [ValueSource(nameof(KernelOps))] ReduceOp op,
        [Values(1f, 0.3f)] float scale, [Values(0, 1)] int misalignment)
        => storage.Run(new CombineCase(op, scale, misalignment));

    [Test]
    public void AccumulateMatchesCpuBitForBit([Values] Storage storage, [ValueSource(nameof(KernelOps))] ReduceOp op, [Values(0, 1)] int misalignment)
        => storage.Run(new AccumulateCase(op, misalignment));

    [Test]
    public void SpecialValuesMatchCpuBitForBit([Values] Storage storage, [ValueSource(nameof(KernelOps))] ReduceOp op, [Values(1f, -2f, 0f)] float scale)
        => storage.Run(new SpecialValuesCase(op, scale));

    private sealed record CombineCase(ReduceOp Op, float Scale, int Misalignment) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (int n in Lengths)
            foreach (var (grid, block) in LaunchShapes.Elementwise)
            {
                T[] a = Samples.Uniform<T>(n, seed: n), b = Samples.Uniform<T>(n, seed: n + 1), expected = new T[n];
                Reduce.Combine<T>(a, b, expected, Op, Scale);
                using var da = new AlignedArray<T>(a, Misalignment);
                using var db = new AlignedArray<T>(b, Misalignment);
                using var dd = new AlignedArray<T>(new T[n], Misalignment);
                Emulator.Reduce<T>(da.Span, db.Span, dd.Span, Op, Scale, grid, block);
                Compare.Bitwise<T>(dd.Span, expected, $"{Op} n={n} scale={Scale} grid={grid} block={block} misaligned={Misalignment}");
            }
        }
    }

    private sealed record AccumulateCase(ReduceOp Op, int Misalignment) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (int n in Lengths)
            {
                T[] dst = Samples.Uniform<T>(n, seed: 3 * n), src = Samples.Uniform<T>(n, seed: 3 * n + 1);
                T[] expected = (T[])dst.Clone();
                Reduce.Accumulate<T>(expected, src, Op, 0.3f);
                using var dd = new AlignedArray<T>(dst, Misalignment);
                using var ds = new AlignedArray<T>(src, Misalignment);
                Emulator.Accumulate<T>(dd.Span, ds.Span, Op, 0.3f, 3, 64);
                Compare.Bitwise<T>(dd.Span, expected, $"accumulate {Op} n={n} misaligned={Misalignment}");
            }
        }
    }

    /// <summary>Every pair of NaN (with payloads, either sign), infinities, signed zeros, subnormal and ordinary values.</summary>
    private sealed record SpecialValuesCase(ReduceOp Op, float Scale) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            float[] specials =
            [
                float.NaN, -float.NaN, BitConverter.UInt32BitsToSingle(0x7FA00000), BitConverter.UInt32BitsToSingle(0xFFC12345),
                float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e-40f, -3f, 2.5f, 65504f,
            ];
            T[] values = specials.Select(v => Values.From<T>(v)).ToArray();
            if (typeof(T) == typeof(float))
                values = specials.Select(v => (T)(object)v).ToArray(); // keep f32 payloads exactly as written
            T[] a = values.SelectMany(x => values.Select(_ => x)).ToArray();
            T[] b = values.SelectMany(_ => values).ToArray();
            var expected = new T[a.Length];
            Reduce.Combine<T>(a, b, expected, Op, Scale);
            var actual = new T[a.Length];
            Emulator.Reduce<T>(a, b, actual, Op, Scale, 2, 32);
            Compare.Bitwise<T>(actual, expected, $"special values {Op} scale={Scale}");
        }
    }
}
