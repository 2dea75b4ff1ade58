using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>Properties every error-feedback step must have.</summary>
internal static class Invariants
{
    /// <summary>
    /// No gradient mass is lost: g + e_old == d + e_new per element, within one fp32 ulp of the larger of |g + e_old| and
    /// |e_new| (the two roundings of c = g + e and e = c - d). Non-finite elements must stay non-finite in e_new.
    /// </summary>
    internal static void AssertMassConserved(ReadOnlySpan<float> g, ReadOnlySpan<float> eOld, ReadOnlySpan<float> d, ReadOnlySpan<float> eNew, string context)
    {
        for (int i = 0; i < g.Length; i++)
        {
            double before = (double)g[i] + eOld[i];
            double after = (double)d[i] + eNew[i];
            if (!double.IsFinite(before))
            {
                Assert.That(float.IsFinite(eNew[i]), Is.False, $"{context}: a non-finite gradient at {i} must stay in its residual");
                continue;
            }
            double ulp = Support.Values.Ulp<float>(Math.Max(Math.Abs(before), Math.Abs(eNew[i])));
            Assert.That(Math.Abs(after - before), Is.LessThanOrEqualTo(ulp),
                $"{context}: element {i}: g + e_old = {before:R} but d + e_new = {after:R}");
        }
    }
}
