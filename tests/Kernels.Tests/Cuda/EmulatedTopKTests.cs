using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/topk.cu's launch sequence under the emulator selects exactly what the CPU kernel selects, in the same (index) order:
/// magnitudes as bits with the sign cleared, NaN above +Inf, ties at the k-th magnitude to the lower indices.
/// </summary>
public unsafe class EmulatedTopKTests
{
    private static readonly int[] Lengths = [1, 33, 1000, 1025, 3000];

    [Test]
    public void SelectsWhatTheCpuSelects([Values] bool manyTies)
    {
        foreach (int n in Lengths)
        foreach (int k in new[] { 1, Math.Max(1, n / 7), Math.Max(1, n - 3), n }.Distinct())
        foreach (var (grid, block) in LaunchShapes.Elementwise)
        {
            float[] x = manyTies ? TiedValues(n, seed: n + k) : EmulatedOneBitTests.WithSpecials<float>(n, seed: n + k);
            var (expectedIndices, expectedValues) = CpuTopK(x, k);
            var (indices, values) = Emulator.TopK(x, k, grid, block);
            string context = $"n={n} k={k} ties={manyTies} grid={grid} block={block}";
            Assert.That(indices, Is.EqualTo(expectedIndices), $"indices, {context}");
            Compare.Bitwise<float>(values, expectedValues, $"values, {context}");
        }
    }

    // Few distinct magnitudes of either sign (both zeros and both NaN signs included), so the k-th key has many ties.
    private static float[] TiedValues(int n, int seed)
    {
        float[] pool = [1f, -1f, 2f, -2f, 0f, -0f, 0.5f, float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => pool[random.Next(pool.Length)]).ToArray();
    }

    private static (uint[] Indices, float[] Values) CpuTopK(float[] x, int k)
    {
        var indices = new uint[k];
        var values = new float[k];
        fixed (float* px = x, pv = values)
        fixed (uint* pi = indices)
            Native.Check(NativeMethods.kn_topk_exact(px, (nuint)x.Length, (nuint)k, pi, pv));
        return (indices, values);
    }
}
