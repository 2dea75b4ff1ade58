using Kernels.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// With full-precision random inputs (so rounding happens at every step), every rank gets the same bits and a second
/// job gets the same bits again, for each world size and algorithm.
/// </summary>
[TestFixture]
public class DeterminismTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        from size in new[] { 2, 3, 4, 5 }
        from algorithm in new[] { CollectiveAlgorithm.OneShot, CollectiveAlgorithm.TwoShot, CollectiveAlgorithm.RecursiveHalvingDoubling, CollectiveAlgorithm.Ring }
        select new TestCaseData(size, algorithm);

    [TestCaseSource(nameof(Cases)), CancelAfter(30_000)]
    public void Same_bits_on_every_rank_and_in_every_run(int size, CollectiveAlgorithm algorithm)
    {
        float[][] first = Run<float>(size, algorithm);
        float[][] second = Run<float>(size, algorithm);
        BFloat16[][] firstBf16 = Run<BFloat16>(size, algorithm);
        BFloat16[][] secondBf16 = Run<BFloat16>(size, algorithm);
        for (int rank = 0; rank < size; rank++)
        {
            Compare.Bitwise<float>(first[rank], first[0], $"float rank {rank} vs rank 0");
            Compare.Bitwise<float>(second[rank], first[rank], $"float rank {rank}, second run");
            Compare.Bitwise<BFloat16>(firstBf16[rank], firstBf16[0], $"bf16 rank {rank} vs rank 0");
            Compare.Bitwise<BFloat16>(secondBf16[rank], firstBf16[rank], $"bf16 rank {rank}, second run");
        }
    }

    private static T[][] Run<T>(int size, CollectiveAlgorithm algorithm) where T : unmanaged
    {
        const int count = 3 * 1024 + 7;
        using var job = new TestJob(size, TestJob.Small(algorithm));
        var results = new T[size][];
        job.Run(comm =>
        {
            var random = new Random(1000 + comm.Rank);
            T[] data = Enumerable.Range(0, count).Select(_ => Values.From<T>((float)(random.NextDouble() * 2 - 1) * 1000f)).ToArray();
            comm.AllReduce<T>(data, ReduceOp.Avg);
            results[comm.Rank] = data;
        });
        return results;
    }
}
