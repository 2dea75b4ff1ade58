namespace Kernels.Tests.Compression;

/// <summary>Plain scalar / float64 references of the compression kernels, written from their documented semantics.</summary>
internal static class CompressionReference
{
    /// <summary>|x| as bits, every NaN one above +Infinity.</summary>
    internal static uint MagnitudeKey(float x) => float.IsNaN(x) ? 0x7F80_0001u : BitConverter.SingleToUInt32Bits(x) & 0x7FFF_FFFFu;

    /// <summary>The k largest keys by full sort (ties: lower index), returned in index order.</summary>
    internal static int[] TopKIndices(ReadOnlySpan<float> x, int k)
    {
        float[] copy = x.ToArray();
        return Enumerable.Range(0, copy.Length)
            .OrderByDescending(i => MagnitudeKey(copy[i])).ThenBy(i => i)
            .Take(k).Order().ToArray();
    }

    /// <summary>Bit i % 32 of word i / 32 set when x[i] &lt; 0 or x[i] is a NaN with its sign bit.</summary>
    internal static uint[] SignWords(ReadOnlySpan<float> x)
    {
        var words = new uint[(x.Length + 31) / 32];
        for (int i = 0; i < x.Length; i++)
        {
            bool negative = x[i] < 0 || (float.IsNaN(x[i]) && float.IsNegative(x[i]));
            if (negative) words[i / 32] |= 1u << (i % 32);
        }
        return words;
    }

    /// <summary>Per chunk: mean |x| or RMS over the finite elements, in double.</summary>
    internal static double[] ChunkScales(ReadOnlySpan<float> x, int chunk, bool rms)
    {
        var scales = new double[((long)x.Length + chunk - 1) / chunk];
        for (int c = 0; c < scales.Length; c++)
        {
            double sum = 0;
            int finite = 0;
            for (int i = (int)((long)c * chunk); i < Math.Min(x.Length, (c + 1L) * chunk); i++)
            {
                if (!float.IsFinite(x[i])) continue;
                sum += rms ? (double)x[i] * x[i] : Math.Abs((double)x[i]);
                finite++;
            }
            scales[c] = finite == 0 ? 0 : rms ? Math.Sqrt(sum / finite) : sum / finite;
        }
        return scales;
    }

    /// <summary>p = m q in double, with the sum of |terms| per element for error bounds.</summary>
    internal static (double[] Value, double[] AbsSum) MQ(float[] m, float[] q, int rows, int cols, int rank)
    {
        var value = new double[rows * rank];
        var abs = new double[rows * rank];
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < rank; c++)
                for (int j = 0; j < cols; j++)
                {
                    double term = (double)m[i * cols + j] * q[j * rank + c];
                    value[i * rank + c] += term;
                    abs[i * rank + c] += Math.Abs(term);
                }
        return (value, abs);
    }

    /// <summary>q = m^T p in double, with the sum of |terms|.</summary>
    internal static (double[] Value, double[] AbsSum) MTP(float[] m, float[] p, int rows, int cols, int rank)
    {
        var value = new double[cols * rank];
        var abs = new double[cols * rank];
        for (int j = 0; j < cols; j++)
            for (int c = 0; c < rank; c++)
                for (int i = 0; i < rows; i++)
                {
                    double term = (double)m[i * cols + j] * p[i * rank + c];
                    value[j * rank + c] += term;
                    abs[j * rank + c] += Math.Abs(term);
                }
        return (value, abs);
    }

    /// <summary>Asserts |actual - expected| &lt;= terms * 2^-23 * absSum + tiny for every element (a dot product's fp32 error bound).</summary>
    internal static void AssertWithinDotBound(ReadOnlySpan<float> actual, double[] expected, double[] absSum, int terms, string context)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            double bound = (terms + 2) * Math.ScaleB(1.0, -24) * absSum[i] + 1e-30;
            NUnit.Framework.Assert.That(Math.Abs(actual[i] - expected[i]), NUnit.Framework.Is.LessThanOrEqualTo(bound),
                $"{context}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
