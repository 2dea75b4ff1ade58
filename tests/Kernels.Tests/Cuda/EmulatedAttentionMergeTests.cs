using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/attention_merge.cu under the emulator against the CPU merge: the special rows (NaN lse, both sides empty, one side
/// empty with Inf or NaN in its output) exactly, ordinary rows to rounding (the exponentials differ by a few ulp).
/// </summary>
public class EmulatedAttentionMergeTests
{
    [Test]
    public void MatchesCpuMerge([Values] Storage storage, [Values(1, 7, 64, 65)] int valueDim)
        => storage.Run(new MergeCase(valueDim));

    private sealed record MergeCase(int ValueDim) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            const int rows = 37;
            float inf = float.PositiveInfinity;
            T[] oA = Samples.Uniform<T>(rows * ValueDim, seed: ValueDim), oB = Samples.Uniform<T>(rows * ValueDim, seed: ValueDim + 1);
            float[] lseA = Samples.Uniform<float>(rows, seed: 3, low: -5f, high: 20f), lseB = Samples.Uniform<float>(rows, seed: 4, low: -5f, high: 20f);
            (lseA[0], lseB[1], lseA[2], lseB[2], lseA[3], lseB[4], lseA[5]) = (float.NaN, float.NaN, -inf, -inf, -inf, -inf, 1e30f);
            oA[3 * ValueDim] = Values.From<T>(inf);     // weight 0 side: its Inf must not leak
            oB[4 * ValueDim] = Values.From<T>(float.NaN);
            T[] expected = new T[oA.Length], actual = new T[oA.Length];
            float[] expectedLse = new float[rows], actualLse = new float[rows];
            AttentionMerge.Merge<T>(oA, lseA, oB, lseB, expected, expectedLse, ValueDim);
            foreach (var (grid, block) in LaunchShapes.Elementwise)
            {
                Emulator.AttentionMerge(oA, lseA, oB, lseB, actual, actualLse, ValueDim, grid, block);
                string context = $"value_dim={ValueDim} grid={grid} block={block}";
                Compare.Near<float>(actualLse, expectedLse.Select(v => (double)v).ToArray(), ulps: 4, $"lse, {context}");
                Compare.Near<T>(actual, expected.Select(v => Values.ToDouble(v)).ToArray(), ulps: 2, $"o, {context}", relative: 1e-5);
                for (int special = 0; special < 5; special++)
                    Compare.Bitwise<T>(actual.AsSpan(special * ValueDim, ValueDim), expected.AsSpan(special * ValueDim, ValueDim), $"special row {special}, {context}");
            }
        }
    }
}
