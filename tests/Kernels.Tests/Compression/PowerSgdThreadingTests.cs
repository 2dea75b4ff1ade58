using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>PowerSGD splits P's rows and Q's rows over cores, never a sum: any thread count gives the same bits.</summary>
[NonParallelizable]
public class PowerSgdThreadingTests
{
    [Test]
    public void EveryThreadCountGivesTheSingleThreadBits()
    {
        // 2.4 MB per product: above the 2 MiB a call must move before it is split.
        var shape = new MatrixShape(1003, 601);
        float[][] gradients = [Samples.Uniform<float>(1003 * 601, seed: 1), Samples.Uniform<float>(1003 * 601, seed: 2)];
        var results = new[] { 1, 2, 3 }.Select(threads => ThreadCount.With(threads, () =>
        {
            var powerSgd = new PowerSgd(rank: 4, seed: 3);
            return gradients.Select(g => powerSgd.Compress(g, shape)).Select(m => (P: m.P.ToArray(), Q: m.Q.ToArray())).ToArray();
        })).ToArray();
        for (int t = 1; t < results.Length; t++)
            for (int step = 0; step < gradients.Length; step++)
            {
                Compare.Bitwise<float>(results[t][step].P, results[0][step].P, $"{t + 1} threads, step {step}: P");
                Compare.Bitwise<float>(results[t][step].Q, results[0][step].Q, $"{t + 1} threads, step {step}: Q");
            }
    }
}
