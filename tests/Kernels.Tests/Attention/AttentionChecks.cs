using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>The acceptance checks shared by the default-target and per-target fixtures.</summary>
internal static class AttentionChecks
{
    /// <summary>
    /// FlashAttention's rule: max |O - O_fp64| at most 2x that of the naive same-precision implementation (plus a floor of
    /// a few fp32 ulps, or one ulp of T at the output's magnitude, for cases where the naive error is ~0); NMSE &lt;= 5e-4
    /// for f16/bf16; lse within fp32 accumulation error; rows that see no key give exact zeros and -inf.
    /// </summary>
    internal static void Forward<T>(AttentionCase c, int seed) where T : unmanaged
    {
        AttentionInputs<T> x = c.Inputs<T>(seed);
        var o = new T[c.Shape.OutputLength];
        var lse = new float[c.Shape.RowCount];
        FlashAttention.Forward<T>(x.Q, x.K, x.V, o, lse, c.Shape, c.Options);
        ForwardResult(c, x, o, lse, $"{typeof(T).Name} {c}");
    }

    /// <summary>The checks of <see cref="Forward{T}(AttentionCase, int)"/> on a dense (o, lse) computed elsewhere (e.g. by a CUDA kernel).</summary>
    internal static void ForwardResult<T>(AttentionCase c, AttentionInputs<T> x, T[] o, float[] lse, string context) where T : unmanaged
    {
        (double[] expected, double[] expectedLse) = AttentionReference.Forward(c, x);
        double[] naive = AttentionReference.SamePrecisionForward(c, x);
        double error = MaxError<T>(o, expected), naiveError = MaxError(naive, expected);
        double floor = typeof(T) == typeof(float) ? 1e-6 : Values.Ulp<T>(MaxAbs(expected));
        Assert.That(error, Is.LessThanOrEqualTo(2 * naiveError + floor), $"{context}: error {error:G3} vs naive {naiveError:G3}");
        if (typeof(T) != typeof(float))
        {
            Assert.That(Nmse<T>(o, expected), Is.LessThanOrEqualTo(5e-4), context + " NMSE");
        }
        for (int row = 0; row < lse.Length; row++)
        {
            if (double.IsNegativeInfinity(expectedLse[row]))
            {
                Assert.That(lse[row], Is.EqualTo(float.NegativeInfinity), $"{context}: lse of fully masked row {row}");
                for (int e = 0; e < c.Shape.ValueHeadDim; e++)
                {
                    Assert.That(Values.Bits(o[row * c.Shape.ValueHeadDim + e]), Is.Zero, $"{context}: O of fully masked row {row}");
                }
                continue;
            }
            Assert.That(lse[row], Is.EqualTo(expectedLse[row]).Within(2e-5 * Math.Max(1, Math.Abs(expectedLse[row]))), $"{context}: lse[{row}]");
        }
    }

    /// <summary>Gradients against the float64 analytic ones: max error within <paramref name="tolerance"/> of each tensor's largest magnitude.</summary>
    internal static void Backward<T>(AttentionCase c, int seed, double tolerance) where T : unmanaged
    {
        AttentionInputs<T> x = c.Inputs<T>(seed);
        var o = new T[c.Shape.OutputLength];
        var lse = new float[c.Shape.RowCount];
        FlashAttention.Forward<T>(x.Q, x.K, x.V, o, lse, c.Shape, c.Options);
        var dq = new T[x.Q.Length];
        var dk = new T[x.K.Length];
        var dv = new T[x.V.Length];
        FlashAttention.Backward<T>(x.Q, x.K, x.V, o, lse, x.DO, dq, dk, dv, c.Shape, c.Options);

        (double[] eq, double[] ek, double[] ev) = AttentionReference.Backward(c, x);
        string context = $"{typeof(T).Name} {c}";
        foreach ((T[] actual, double[] expected, string name) in new[] { (dq, eq, "dQ"), (dk, ek, "dK"), (dv, ev, "dV") })
        {
            double scale = Math.Max(MaxAbs(expected), 1e-3);
            Assert.That(MaxError<T>(actual, expected) / scale, Is.LessThanOrEqualTo(tolerance), $"{context}: {name} (max |ref| {scale:G3})");
        }
    }

    /// <summary>
    /// Tolerances of the backward check, relative to each gradient's largest magnitude: ~10x the errors measured
    /// (f32 ~8e-7, f16 ~4e-4, bf16 ~2.7e-3, the latter two dominated by rounding O, dO and the gradients to T).
    /// </summary>
    internal static double BackwardTolerance<T>() =>
        typeof(T) == typeof(float) ? 1e-5 : typeof(T) == typeof(Half) ? 4e-3 : 2.5e-2;

    internal static double MaxError<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected) where T : unmanaged
    {
        double max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double got = Values.ToDouble(actual[i]);
            if (got != expected[i]) max = Math.Max(max, Math.Abs(got - expected[i])); // equal infinities count as exact
        }
        return max;
    }

    internal static double MaxError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        double max = 0;
        for (int i = 0; i < actual.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        return max;
    }

    internal static double MaxAbs(ReadOnlySpan<double> values)
    {
        double max = 0;
        foreach (double v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    internal static double Nmse<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected) where T : unmanaged
    {
        double error = 0, energy = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Values.ToDouble(actual[i]) - expected[i];
            error += d * d;
            energy += expected[i] * expected[i];
        }
        return energy == 0 ? error : error / energy;
    }
}
