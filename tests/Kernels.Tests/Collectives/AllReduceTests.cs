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
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Avg, ReduceOp.Max, ReduceOp.Min];

    private static readonly CollectiveAlgorithm[] Algorithms =
        [CollectiveAlgorithm.OneShot, CollectiveAlgorithm.TwoShot, CollectiveAlgorithm.RecursiveHalvingDoubling];

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

    [Test, CancelAfter(60_000)]
    public void Auto_choice_matches_the_reference_for_small_and_large_messages()
    {
        using var job = new TestJob(3, new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(30) });
        foreach (int count in new[] { 3, 1 << 20 })
        {
            var results = new float[3][];
            job.Run(comm =>
            {
                float[] data = CollectiveData.Input<float>(comm.Rank, count);
                comm.AllReduce<float>(data, ReduceOp.Sum);
                results[comm.Rank] = data;
            });
            double[] expected = CollectiveData.Reduced<float>(3, count, ReduceOp.Sum);
            for (int rank = 0; rank < 3; rank++)
            {
                CollectiveData.AssertReduced<float>(results[rank], expected, $"count {count} rank {rank}");
            }
        }
    }

    [TestCase(CollectiveAlgorithm.OneShot), TestCase(CollectiveAlgorithm.TwoShot), TestCase(CollectiveAlgorithm.RecursiveHalvingDoubling)]
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

    private sealed class AllReduceCheck(TestJob job) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            int size = job.Ranks.Length;
            var cases = (from op in Ops from count in CollectiveData.Counts select (Op: op, Count: count)).ToArray();
            const int forms = 3;
            var results = new T[size][][];
            job.Run(comm =>
            {
                var mine = new T[cases.Length * forms][];
                for (int c = 0; c < cases.Length; c++)
                {
                    (ReduceOp op, int count) = cases[c];
                    T[] input = CollectiveData.Input<T>(comm.Rank, count, seed: c);

                    T[] inPlace = (T[])input.Clone();
                    comm.AllReduce<T>(inPlace, op);
                    mine[c * forms] = inPlace;

                    var output = new T[count];
                    comm.AllReduce<T>(input, output, op);
                    mine[c * forms + 1] = output;

                    using CommunicatorBuffer<T> buffer = comm.AllocateBuffer<T>(count);
                    input.CopyTo(buffer.Span);
                    comm.AllReduce(buffer, op);
                    mine[c * forms + 2] = buffer.Span.ToArray();
                }
                results[comm.Rank] = mine;
            });

            for (int c = 0; c < cases.Length; c++)
            {
                (ReduceOp op, int count) = cases[c];
                double[] expected = CollectiveData.Reduced<T>(size, count, op, seed: c);
                for (int form = 0; form < forms; form++)
                {
                    string context = $"{op} count {count} form {(form == 0 ? "in place" : form == 1 ? "out of place" : "buffer")}";
                    for (int rank = 0; rank < size; rank++)
                    {
                        CollectiveData.AssertReduced<T>(results[rank][c * forms + form], expected, $"{context} rank {rank}");
                        Compare.Bitwise<T>(results[rank][c * forms + form], results[0][c * forms + form], $"{context}: rank {rank} vs rank 0");
                    }
                }
            }
        }
    }
}
