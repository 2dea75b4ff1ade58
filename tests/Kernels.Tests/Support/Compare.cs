using NUnit.Framework;

namespace Kernels.Tests.Support;

/// <summary>Element-wise comparison of a kernel's output with a float64 reference.</summary>
internal static class Compare
{
    /// <summary>
    /// Asserts |actual - expected| &lt;= ulps * ulp_T(expected) + relative * |expected| for every element, NaN where the
    /// reference is NaN, and the same infinity where it is infinite. Reports the first few offenders.
    /// </summary>
    internal static void Near<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected, double ulps, string context, double relative = 0)
        where T : unmanaged
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), context);
        var failures = new List<string>();
        for (int i = 0; i < actual.Length && failures.Count < 5; i++)
        {
            double got = Values.ToDouble(actual[i]);
            double want = expected[i];
            bool ok = double.IsNaN(want) ? double.IsNaN(got)
                : double.IsInfinity(want) || double.IsInfinity(got) ? got == want
                : Math.Abs(got - want) <= ulps * Values.Ulp<T>(want) + relative * Math.Abs(want);
            if (!ok)
            {
                failures.Add($"[{i}] got {got:R} want {want:R}");
            }
        }
        Assert.That(failures, Is.Empty, $"{context}: {typeof(T).Name} elements differ from the float64 reference");
    }

    /// <summary>Asserts the outputs are the same bits (NaN payloads included).</summary>
    internal static void Bitwise<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, string context) where T : unmanaged
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), context);
        for (int i = 0; i < actual.Length; i++)
        {
            if (Values.Bits(actual[i]) != Values.Bits(expected[i]))
            {
                Assert.Fail($"{context}: element {i} is 0x{Values.Bits(actual[i]):X} ({Values.ToDouble(actual[i]):R}), expected 0x{Values.Bits(expected[i]):X} ({Values.ToDouble(expected[i]):R})");
            }
        }
    }
}
