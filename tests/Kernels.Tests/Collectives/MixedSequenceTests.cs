using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// A long random sequence of different collectives, sizes, span and buffer paths and point-to-point messages on one
/// job: staging-slot reuse and release across collectives of every kind must never hand a rank stale or foreign data.
/// </summary>
[TestFixture]
public class MixedSequenceTests
{
    private const int Size = 4;

    [TestCase(CollectiveAlgorithm.Auto), TestCase(CollectiveAlgorithm.TwoShot), TestCase(CollectiveAlgorithm.RecursiveHalvingDoubling), TestCase(CollectiveAlgorithm.Ring)]
    [CancelAfter(60_000)]
    public void Every_result_is_right_after_hundreds_of_mixed_calls(CollectiveAlgorithm algorithm)
    {
        using var job = new TestJob(Size, TestJob.Small(algorithm));
        var problems = new List<string>[Size];
        job.Run(comm => problems[comm.Rank] = RunSequence(comm, operations: 150));
        Assert.That(problems.SelectMany(p => p), Is.Empty);
    }

    /// <summary>Every rank draws the same sequence from the same seed; each checks its own results exactly (quarters sum exactly in fp32).</summary>
    private static List<string> RunSequence(Communicator comm, int operations)
    {
        var problems = new List<string>();
        var random = new Random(2024);
        for (int step = 0; step < operations; step++)
        {
            int kind = random.Next(7);
            int count = random.Next(4) switch { 0 => random.Next(3), 1 => random.Next(100), _ => random.Next(5000) };
            int root = random.Next(Size);
            float[] Contribution(int rank) => CollectiveData.Input<float>(rank, count, seed: step);
            switch (kind)
            {
                case 0:
                {
                    float[] data = Contribution(comm.Rank);
                    comm.AllReduce<float>(data, ReduceOp.Sum);
                    Check(problems, step, "AllReduce span", data, Expected(count, step));
                    break;
                }
                case 1:
                {
                    using CommunicatorBuffer<float> buffer = comm.AllocateBuffer<float>(count);
                    Contribution(comm.Rank).CopyTo(buffer.Span);
                    comm.AllReduce(buffer, ReduceOp.Sum);
                    Check(problems, step, "AllReduce buffer", buffer.Span.ToArray(), Expected(count, step));
                    break;
                }
                case 2:
                {
                    (int offset, int length) = comm.ShardOf(count, comm.Rank);
                    var shard = new float[length];
                    comm.ReduceScatter<float>(Contribution(comm.Rank), shard, ReduceOp.Sum);
                    Check(problems, step, "ReduceScatter", shard, Expected(count, step)[offset..(offset + length)]);
                    break;
                }
                case 3:
                {
                    var all = new float[count * Size];
                    comm.AllGather<float>(Contribution(comm.Rank), all);
                    Check(problems, step, "AllGather", all, Enumerable.Range(0, Size).SelectMany(Contribution).ToArray());
                    break;
                }
                case 4:
                {
                    float[] data = Contribution(comm.Rank);
                    comm.Broadcast<float>(data, root);
                    Check(problems, step, "Broadcast", data, Contribution(root));
                    break;
                }
                case 5:
                {
                    // Pairs (0,1) and (2,3); the lower rank sends.
                    int peer = comm.Rank ^ 1;
                    if (comm.Rank < peer)
                    {
                        comm.Send<float>(Contribution(comm.Rank), peer);
                    }
                    else
                    {
                        var inbox = new float[count];
                        comm.Recv<float>(inbox, peer);
                        Check(problems, step, "Recv", inbox, Contribution(peer));
                    }
                    break;
                }
                default:
                    comm.Barrier();
                    break;
            }
        }
        return problems;
    }

    private static float[] Expected(int count, int step) =>
        CollectiveData.Reduced<float>(Size, count, ReduceOp.Sum, seed: step).Select(v => (float)v).ToArray();

    private static void Check(List<string> problems, int step, string what, float[] actual, float[] expected)
    {
        if (!actual.AsSpan().SequenceEqual(expected))
        {
            problems.Add($"step {step} {what} ({expected.Length} elements) differs");
        }
    }
}
