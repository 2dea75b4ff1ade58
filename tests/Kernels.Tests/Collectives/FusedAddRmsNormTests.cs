using Kernels.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>AllReduceAddRmsNorm: bitwise the unfused AllReduce + AddRmsNorm (itself checked against float64 elsewhere), same on every rank.</summary>
[TestFixture]
public class FusedAddRmsNormTests
{
    private const float Eps = 1e-5f;

    private static IEnumerable<TestCaseData> Cases() =>
        from size in Enumerable.Range(1, 4)
        from storage in new[] { Storage.F32, Storage.F16, Storage.BF16 }
        select new TestCaseData(size, storage);

    [TestCaseSource(nameof(Cases)), CancelAfter(60_000)]
    public void Equals_the_unfused_pair_bit_for_bit(int size, Storage storage)
    {
        using var job = new TestJob(size, TestJob.Small(CollectiveAlgorithm.TwoShot));
        storage.Run(new FusedCheck(job));
    }

    /// <summary>1 MiB slots and 1000-column rows: a rank's rows of a round span several 64 KiB blocks, the last one partial.</summary>
    [TestCase(2), TestCase(3), CancelAfter(60_000)]
    public void Own_rows_in_several_blocks_equal_the_unfused_pair_bit_for_bit(int size)
    {
        var options = new CommunicatorOptions
        {
            Algorithm = CollectiveAlgorithm.TwoShot,
            StagingSlotBytes = 1 << 20,
            Timeout = TimeSpan.FromSeconds(30),
            Debug = false,
        };
        using var job = new TestJob(size, options);
        Storage.F32.Run(new FusedCheck(job, [(97, 1000), (2 * 16 * size + 1, 1000)]));
        Storage.BF16.Run(new FusedCheck(job, [(97, 1000)]));
    }

    /// <summary>
    /// Inputs of at least <see cref="Kernels.Collectives.Algorithms.FusedAddRmsNorm.StreamMinBytes"/> write y and the residual with
    /// non-temporal stores: odd widths, several rounds through 4 MiB slots with a partial last one, y apart and y over x.
    /// </summary>
    [TestCase(2), TestCase(3), CancelAfter(180_000)]
    public void Large_inputs_on_the_streaming_path_equal_the_unfused_pair_bit_for_bit(int size)
    {
        var options = new CommunicatorOptions { Algorithm = CollectiveAlgorithm.TwoShot, Timeout = TimeSpan.FromSeconds(60), Debug = false };
        using var job = new TestJob(size, options);
        const long minBytes = Kernels.Collectives.Algorithms.FusedAddRmsNorm.StreamMinBytes;
        int f32Rows = (int)(minBytes / (4 * 4099)) + 3, bf16Rows = (int)(minBytes / (2 * 4097)) + 1;
        Assert.That((long)f32Rows * 4099 * 4, Is.GreaterThanOrEqualTo(minBytes));
        Storage.F32.Run(new FusedCheck(job, [(f32Rows, 4099)]));
        Storage.F32.Run(new FusedCheck(job, [(f32Rows, 4099)], outputOverX: true));
        Storage.BF16.Run(new FusedCheck(job, [(bf16Rows, 4097)]));
    }

    [Test, CancelAfter(30_000)]
    public void Rows_too_wide_for_the_staging_slot_are_rejected_before_sending()
    {
        using var job = new TestJob(3, TestJob.Small());
        const int cols = 512; // 4 rows of 2 KiB do not fit a 4 KiB slot
        Assert.That(() => job.Ranks[0].AllReduceAddRmsNorm<float>(new float[cols], new float[cols], new float[cols], new float[cols], cols, Eps),
            Throws.ArgumentException.With.Message.Contains("StagingSlotBytes"));
        Assert.That(() => job.Ranks[0].AllReduceAddRmsNorm<float>(new float[10], new float[10], new float[5], new float[10], 5, 0f),
            Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => job.Ranks[0].AllReduceAddRmsNorm<float>(new float[10], new float[10], new float[4], new float[10], 4, Eps),
            Throws.ArgumentException);
    }

    [Test, CancelAfter(30_000)]
    public void The_async_form_queues_behind_other_collectives_and_matches_the_sync_form()
    {
        using var job = new TestJob(3, TestJob.Small());
        const int rows = 9, cols = 16;
        float[] weight = Samples.Uniform<float>(cols, seed: 5, low: 0.5f, high: 1.5f);
        var asyncResults = new float[3][];
        var syncResults = new float[3][];
        job.Run(comm =>
        {
            float[] x = CollectiveData.Input<float>(comm.Rank, rows * cols);
            float[] residual = CollectiveData.Input<float>(7, rows * cols);
            var y = new float[rows * cols];
            float[] warmup = CollectiveData.Input<float>(comm.Rank, 100);
            Task first = comm.AllReduceAsync(warmup.AsMemory(), ReduceOp.Sum).AsTask();
            Task fused = comm.AllReduceAddRmsNormAsync<float>(x, residual, weight, y, cols, Eps).AsTask();
            Task.WaitAll(first, fused);
            asyncResults[comm.Rank] = y;

            float[] residual2 = CollectiveData.Input<float>(7, rows * cols);
            var y2 = new float[rows * cols];
            comm.AllReduceAddRmsNorm<float>(x, residual2, weight, y2, cols, Eps);
            syncResults[comm.Rank] = y2;
        });
        for (int rank = 0; rank < 3; rank++)
        {
            Compare.Bitwise<float>(asyncResults[rank], syncResults[rank], $"rank {rank}");
        }
    }

    [Test, CancelAfter(30_000)]
    public void Ranks_with_different_eps_get_a_mismatch()
    {
        using var job = new TestJob(2, TestJob.Small());
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
            comm.AllReduceAddRmsNorm<float>(new float[8], new float[8], new float[4], new float[8], 4, comm.Rank == 0 ? 1e-5f : 1e-6f));
        Assert.That(failures, Has.All.TypeOf<CollectiveMismatchException>().With.Property("Field").EqualTo("Parameter"));
    }

    /// <summary>With <paramref name="outputOverX"/>, y is exactly x (allowed: the fused op reads a block of x before writing it).</summary>
    private sealed class FusedCheck(TestJob job, (int Rows, int Cols)[]? shapes = null, bool outputOverX = false) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            int size = job.Ranks.Length;
            foreach ((int rows, int cols) in shapes ?? [(0, 8), (1, 1), (7, 8), (33, 64)])
            {
                var fused = new (T[] Y, T[] Residual)[size];
                var unfused = new (T[] Y, T[] Residual)[size];
                T[] weight = Samples.Uniform<T>(cols, seed: 7, low: 0.5f, high: 1.5f);
                job.Run(comm =>
                {
                    T[] x = CollectiveData.Input<T>(comm.Rank, rows * cols);
                    T[] residual = CollectiveData.Input<T>(99, rows * cols, seed: 3);
                    T[] y = outputOverX ? x : new T[rows * cols];
                    comm.AllReduceAddRmsNorm<T>(x, residual, weight, y, cols, Eps);
                    fused[comm.Rank] = (y, residual);

                    T[] sum = CollectiveData.Input<T>(comm.Rank, rows * cols);
                    T[] residual2 = CollectiveData.Input<T>(99, rows * cols, seed: 3);
                    var y2 = new T[rows * cols];
                    comm.AllReduce<T>(sum, ReduceOp.Sum);
                    RmsNorm.AddRmsNorm<T>(sum, residual2, weight, y2, rows, cols, Eps);
                    unfused[comm.Rank] = (y2, residual2);
                });
                for (int rank = 0; rank < size; rank++)
                {
                    string context = $"{rows}x{cols} rank {rank}";
                    Compare.Bitwise<T>(fused[rank].Y, unfused[rank].Y, $"{context} y");
                    Compare.Bitwise<T>(fused[rank].Residual, unfused[rank].Residual, $"{context} residual");
                    Compare.Bitwise<T>(fused[rank].Y, fused[0].Y, $"{context} y vs rank 0");
                }
            }
        }
    }
}
