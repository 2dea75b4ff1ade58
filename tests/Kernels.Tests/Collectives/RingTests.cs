using Kernels.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// The ring all-reduce's own geometry: slices and rounds of every shape (more ranks than elements, one element, uneven
/// last slices, hundreds of rounds), on spans and buffers, and its documented reduction order checked bit for bit
/// against a sequential fp32 sum in that order.
/// </summary>
[TestFixture]
public class RingTests
{
    private static CommunicatorOptions Options(int slotBytes) => new()
    {
        Algorithm = CollectiveAlgorithm.Ring,
        StagingSlotBytes = slotBytes,
        BufferHeapBytes = 16 << 20,
        Timeout = TimeSpan.FromSeconds(30),
        Debug = false,
    };

    // 4 KiB slots: one slice per piece and many rounds; 64 KiB: 4..16 slices per piece, uneven last slices.
    private static IEnumerable<TestCaseData> Shapes() =>
        from size in new[] { 2, 3, 4, 5 }
        from slotBytes in new[] { 4096, 64 << 10 }
        from storage in new[] { Storage.F32, Storage.F16, Storage.BF16 }
        select new TestCaseData(size, slotBytes, storage);

    [TestCaseSource(nameof(Shapes)), CancelAfter(120_000)]
    public void Every_slice_and_round_shape_matches_the_reference(int size, int slotBytes, Storage storage)
    {
        using var job = new TestJob(size, Options(slotBytes));
        int[] counts = [0, 1, size - 1, size + 1, 64 * 4 * size + 13, 40_000 + 3];
        storage.Run(new AllReduceCheck(job, counts));
    }

    [TestCase(2), TestCase(3), TestCase(5), CancelAfter(120_000)]
    public void Hundreds_of_rounds_and_the_largest_slices(int size)
    {
        using (var small = new TestJob(size, Options(4096)))
        {
            Storage.F32.Run(new AllReduceCheck(small, [200_003], [ReduceOp.Sum]));
        }
        using var large = new TestJob(size, Options(4 << 20));
        Storage.BF16.Run(new AllReduceCheck(large, [(1 << 20) + 5], [ReduceOp.Avg]));
    }

    /// <summary>Shard c must be exactly ((x(c+1) + x(c+2)) + ...) + xc in fp32 (ranks modulo n): full-precision inputs
    /// make every other order give different bits somewhere.</summary>
    [TestCase(2), TestCase(3), TestCase(4), TestCase(5), CancelAfter(60_000)]
    public void Each_shard_is_summed_in_the_documented_ring_order(int size)
    {
        const int count = 6 * 512 + 7;
        using var job = new TestJob(size, Options(4096));
        float[][] inputs = [.. Enumerable.Range(0, size).Select(rank =>
        {
            var random = new Random(77 + rank);
            return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 4)))).ToArray();
        })];
        foreach (bool inBuffer in new[] { false, true })
        {
            var results = new float[size][];
            job.Run(comm =>
            {
                if (inBuffer)
                {
                    using CommunicatorBuffer<float> buffer = comm.AllocateBuffer<float>(count);
                    inputs[comm.Rank].CopyTo(buffer.Span);
                    comm.AllReduce(buffer, ReduceOp.Sum);
                    results[comm.Rank] = buffer.Span.ToArray();
                }
                else
                {
                    float[] data = (float[])inputs[comm.Rank].Clone();
                    comm.AllReduce<float>(data, ReduceOp.Sum);
                    results[comm.Rank] = data;
                }
            });

            var expected = new float[count];
            for (int shard = 0; shard < size; shard++)
            {
                (int offset, int length) = job.Ranks[0].ShardOf(count, shard);
                for (int i = offset; i < offset + length; i++)
                {
                    float sum = inputs[(shard + 1) % size][i];
                    for (int step = 2; step <= size; step++)
                    {
                        sum += inputs[(shard + step) % size][i];
                    }
                    expected[i] = sum;
                }
            }
            for (int rank = 0; rank < size; rank++)
            {
                Compare.Bitwise<float>(results[rank], expected, $"{(inBuffer ? "buffer" : "span")} rank {rank} of {size}");
            }
        }
    }
}
