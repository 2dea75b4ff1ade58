using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Operators;

[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class ReduceTests(string target) : PerTargetFixture(target)
{
    private static readonly ReduceOp[] KernelOps = [ReduceOp.Sum, ReduceOp.Max, ReduceOp.Min];

    [Test]
    public void CombineMatchesFloat64Reference([Values] Storage storage, [ValueSource(nameof(KernelOps))] ReduceOp op, [Values(1f, 0.25f, 0.3f)] float scale)
        => storage.Run(new CombineCase(op, scale, TargetName));

    [Test]
    public void AccumulateMatchesFloat64Reference([Values] Storage storage, [ValueSource(nameof(KernelOps))] ReduceOp op, [Values(1f, 0.3f)] float scale)
        => storage.Run(new AccumulateCase(op, scale, TargetName));

    [Test]
    public void CombineInPlaceOverEitherInput([Values] Storage storage) => storage.Run(new InPlaceCase(TargetName));

    [Test]
    public void NaNAndInfinityFollowTheDocumentedRules([Values] Storage storage) => storage.Run(new SpecialValuesCase());

    private sealed record CombineCase(ReduceOp Op, float Scale, string Target) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (int n in Samples.OddLengths)
            {
                T[] a = Samples.Uniform<T>(n, seed: n), b = Samples.Uniform<T>(n, seed: n + 1), dst = new T[n];
                Reduce.Combine<T>(a, b, dst, Op, Scale);
                // One fp32 rounding of op(a, b), one of the scale, one to T: at most one ulp of T (f32: two half-ulps).
                Compare.Near<T>(dst, Float64Reference.Reduce<T>(a, b, Op, Scale), ulps: Scale == 1f ? 0.5 : 1.5, $"{Target} {Op} n={n} scale={Scale}");
            }
        }
    }

    private sealed record AccumulateCase(ReduceOp Op, float Scale, string Target) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach (int n in Samples.OddLengths)
            {
                T[] dst = Samples.Uniform<T>(n, seed: 3 * n), src = Samples.Uniform<T>(n, seed: 3 * n + 1);
                double[] expected = Float64Reference.Reduce<T>(dst, src, Op, Scale);
                Reduce.Accumulate<T>(dst, src, Op, Scale);
                Compare.Near<T>(dst, expected, ulps: Scale == 1f ? 0.5 : 1.5, $"{Target} accumulate {Op} n={n}");
            }
        }
    }

    private sealed record InPlaceCase(string Target) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            const int n = 1025;
            T[] a = Samples.Uniform<T>(n, 11), b = Samples.Uniform<T>(n, 12);
            double[] expected = Float64Reference.Reduce<T>(a, b, ReduceOp.Sum, 1);
            T[] intoA = (T[])a.Clone(), intoB = (T[])b.Clone();
            Reduce.Combine<T>(intoA, b, intoA, ReduceOp.Sum);
            Reduce.Combine<T>(a, intoB, intoB, ReduceOp.Sum);
            Compare.Near<T>(intoA, expected, 0.5, $"{Target} destination == a");
            Compare.Near<T>(intoB, expected, 0.5, $"{Target} destination == b");
        }
    }

    private sealed record SpecialValuesCase : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            float inf = float.PositiveInfinity, nan = float.NaN;
            float[] a = [nan, 1f, inf, inf, -inf, 2f, nan, -0f, 3f];
            float[] b = [1f, nan, 1f, -inf, -inf, 5f, nan, 0f, -7f];
            T[] ta = a.Select(Values.From<T>).ToArray(), tb = b.Select(Values.From<T>).ToArray();
            foreach (ReduceOp op in KernelOps)
            {
                var dst = new T[a.Length];
                Reduce.Combine<T>(ta, tb, dst, op);
                Compare.Near<T>(dst, Float64Reference.Reduce<T>(ta, tb, op, 1), 0, $"special values {op}");
                for (int i = 0; i < a.Length; i++)
                {
                    if (float.IsNaN(a[i]) || float.IsNaN(b[i]))
                    {
                        Assert.That(Values.IsNaN(dst[i]), $"{op}: NaN operand at {i} must give NaN");
                    }
                }
            }
        }
    }
}
