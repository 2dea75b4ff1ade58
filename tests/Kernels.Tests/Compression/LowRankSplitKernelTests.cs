using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>q = m^T p over column blocks of a wider m (the thread split of PowerSGD) gives kn_lowrank_mt_p's bits, on every target.</summary>
[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public unsafe class LowRankSplitKernelTests(string target) : PerTargetFixture(target)
{
    [Test]
    public void ColumnBlocksGiveTheWholeProductsBits([Values(1, 3, 4, 9, 32)] int rank)
    {
        const int rows = 37, cols = 101;
        float[] m = Samples.Uniform<float>(rows * cols, seed: rank);
        float[] p = Samples.Uniform<float>(rows * rank, seed: rank + 1);
        var whole = new float[cols * rank];
        var blocks = new float[cols * rank];
        int[] edges = [0, 1, 17, 64, 100, cols];
        fixed (float* pm = m, pp = p, pw = whole, pb = blocks)
        {
            Native.Check(NativeMethods.kn_lowrank_mt_p(pm, pp, pw, rows, cols, (nuint)rank));
            for (int b = 0; b + 1 < edges.Length; b++)
            {
                Native.Check(NativeMethods.kn_lowrank_mt_p_strided(pm + edges[b], cols, pp, pb + edges[b] * rank, rows,
                    (nuint)(edges[b + 1] - edges[b]), (nuint)rank));
            }
        }
        Compare.Bitwise<float>(blocks, whole, $"{TargetName} rank {rank}");
    }

    [Test]
    public void AStrideBelowTheColumnCountIsRejected()
    {
        var m = new float[12];
        var p = new float[3];
        var q = new float[4];
        fixed (float* pm = m, pp = p, pq = q)
        {
            Assert.That(NativeMethods.kn_lowrank_mt_p_strided(pm, 3, pp, pq, 3, 4, 1), Is.EqualTo(kn_status.KN_INVALID_ARGUMENT));
        }
    }
}
