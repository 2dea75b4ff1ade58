using Kernels.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// All-reduce, in place, out of place and on communicator buffers, for every world size 1..5 x algorithm x element
/// type x op x count, against the float64 reference; every rank must hold the same bits.
/// </summary>
[TestFixture]
public class AllReduceTests
{
    private static readonly CollectiveAlgorithm[] Algorithms =
        [CollectiveAlgorithm.OneShot, CollectiveAlgorithm.TwoShot, CollectiveAlgorithm.RecursiveHalvingDoubling, CollectiveAlgorithm.Ring];

    // 1..5 for every type; 6..8 (folding 2 and 3 ranks, and a deeper power of two) for float.
    private static IEnumerable<TestCaseData> WorldsAndAlgorithms() =>
        (from size in Enumerable.Range(1, 5)
         from algorithm in Algorithms
         from storage in new[] { Storage.F32, Storage.F16, Storage.BF16 }
         select new TestCaseData(size, algorithm, storage))
        .Concat(
         from size in Enumerable.Range(6, 3)
         from algorithm in Algorithms
         select new TestCaseData(size, algorithm, Storage.F32));

    [TestCaseSource(nameof(WorldsAndAlgorithms)), CancelAfter(60_000)]
    public void Matches_the_float64_reference_on_every_rank(int size, CollectiveAlgorithm algorithm, Storage storage)
    {
        using var job = new TestJob(size, TestJob.Small(algorithm));
        storage.Run(new AllReduceCheck(job));
    }

    /// <summary>One-shot and two-shot as the cost model picks them with default options, at 2 and 3 ranks.</summary>
    [TestCase(2), TestCase(3), CancelAfter(60_000)]
    public void Auto_choice_matches_the_reference_for_small_and_large_messages(int size)
    {
        using var job = new TestJob(size, new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(30) });
        foreach (int count in new[] { 3, 1 << 18, 1 << 20 })
        {
            var results = new float[size][];
            job.Run(comm =>
            {
                float[] data = CollectiveData.Input<float>(comm.Rank, count);
                comm.AllReduce<float>(data, ReduceOp.Sum);
                results[comm.Rank] = data;
            });
            double[] expected = CollectiveData.Reduced<float>(size, count, ReduceOp.Sum);
            for (int rank = 0; rank < size; rank++)
            {
                CollectiveData.AssertReduced<float>(results[rank], expected, $"count {count} rank {rank}");
                Compare.Bitwise<float>(results[rank], results[0], $"count {count}: rank {rank} vs rank 0");
            }
        }
    }

    [TestCase(CollectiveAlgorithm.OneShot), TestCase(CollectiveAlgorithm.TwoShot), TestCase(CollectiveAlgorithm.RecursiveHalvingDoubling), TestCase(CollectiveAlgorithm.Ring)]
    [CancelAfter(30_000)]
    public void Max_and_min_propagate_a_NaN_from_any_rank(CollectiveAlgorithm algorithm)
    {
        const int count = 1500, nanIndex = 1234;
        using var job = new TestJob(3, TestJob.Small(algorithm));
        foreach (ReduceOp op in new[] { ReduceOp.Max, ReduceOp.Min })
        {
            var results = new float[3][];
            job.Run(comm =>
            {
                float[] data = CollectiveData.Input<float>(comm.Rank, count);
                if (comm.Rank == 2)
                {
                    data[nanIndex] = float.NaN;
                }
                comm.AllReduce<float>(data, op);
                results[comm.Rank] = data;
            });
            double[] expected = CollectiveData.Reduced<float>(3, count, op);
            expected[nanIndex] = double.NaN;
            for (int rank = 0; rank < 3; rank++)
            {
                CollectiveData.AssertReduced<float>(results[rank], expected, $"{op} rank {rank}");
            }
        }
    }
}
