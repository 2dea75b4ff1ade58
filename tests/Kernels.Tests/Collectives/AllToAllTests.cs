using Kernels.Collectives;
using Kernels.Tests.Support;
using NUnit.Framework;
using static Kernels.Tests.Collectives.SentinelOutputs;

namespace Kernels.Tests.Collectives;

/// <summary>
/// <see cref="Communicator.AllToAll{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/> and AllToAllV over in-process jobs of
/// 1..5 ranks: every block lands at its receiver bit for bit (f32, f16, bf16; empty, one-element, odd and multi-slot
/// blocks); sync and async forms; mismatches, bad input and a missing rank give exceptions on every rank, never a hang.
/// </summary>
[TestFixture]
public class AllToAllTests
{
    [Test]
    public void AllToAllDeliversEveryBlock([Range(1, 5)] int size, [Values] Storage storage, [Values(0, 1, 7, 1025)] int block) =>
        storage.Run(new Exchange(size, AllToAllData.UniformCounts(size, block), Variable: false, Async: false));

    [Test]
    public void AllToAllVDeliversEveryBlock([Range(1, 5)] int size, [Values] Storage storage) =>
        storage.Run(new Exchange(size, AllToAllData.VariableCounts(size, seed: size), Variable: true, Async: false));

    [Test]
    public void AllToAllVWithOnlyEmptyBlocks() =>
        Storage.F32.Run(new Exchange(3, AllToAllData.UniformCounts(3, 0), Variable: true, Async: false));

    [Test]
    public void AsyncFormsDeliverEveryBlock([Values] bool variable, [Values] Storage storage) =>
        storage.Run(new Exchange(3, variable ? AllToAllData.VariableCounts(3, seed: 1) : AllToAllData.UniformCounts(3, 1025), variable, Async: true));

    /// <summary>Runs every rank's exchange and checks each output against the blocks addressed to it.</summary>
    private sealed record Exchange(int Size, int[] Counts, bool Variable, bool Async) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            using var job = new TestJob(Size, TestJob.Small());
            var outputs = new T[Size][];
            job.Run(comm =>
            {
                T[] input = AllToAllData.Input<T>(Counts, Size, comm.Rank, seed: 3);
                int[] send = AllToAllData.SendCounts(Counts, Size, comm.Rank), receive = AllToAllData.ReceiveCounts(Counts, Size, comm.Rank);
                var output = new T[receive.Sum()];
                if (Async)
                {
                    // Two in flight: the second must not overtake the first.
                    var second = new T[output.Length];
                    ValueTask first = Variable ? comm.AllToAllVAsync<T>(input, send, output, receive) : comm.AllToAllAsync<T>(input, output);
                    ValueTask next = Variable ? comm.AllToAllVAsync<T>(input, send, second, receive) : comm.AllToAllAsync<T>(input, second);
                    first.AsTask().GetAwaiter().GetResult();
                    next.AsTask().GetAwaiter().GetResult();
                    Compare.Bitwise<T>(second, output, $"second async exchange on rank {comm.Rank}");
                }
                else if (Variable)
                {
                    comm.AllToAllV<T>(input, send, output, receive);
                }
                else
                {
                    comm.AllToAll<T>(input, output);
                }
                outputs[comm.Rank] = output;
            });
            for (int rank = 0; rank < Size; rank++)
            {
                Compare.Bitwise<T>(outputs[rank], AllToAllData.Expected<T>(Counts, Size, rank, seed: 3),
                    $"{(Variable ? "AllToAllV" : "AllToAll")} rank {rank} of {Size}");
            }
        }
    }

    [Test, CancelAfter(30_000)]
    public void DifferentBlockLengthsGiveTheSameMismatchOnEveryRank() =>
        ExpectMismatch("Count", [1], comm =>
        {
            int block = comm.Rank == 1 ? 5 : 4;
            comm.AllToAll<float>(new float[block * 3], Output(block * 3));
        });

    [Test, CancelAfter(30_000)]
    public void DifferentElementTypesGiveTheSameMismatchOnEveryRank() =>
        ExpectMismatch("ElementType", [2], comm =>
        {
            if (comm.Rank == 2) comm.AllToAll<Half>(new Half[6], new Half[6]);
            else comm.AllToAll<float>(new float[6], Output(6));
        });

    /// <summary>Rank 1 sends rank 2 three elements but rank 2 expects one: both named, on every rank, before any data moves.</summary>
    [Test, CancelAfter(30_000)]
    public void DisagreeingPairCountsGiveTheSameMismatchOnEveryRank() =>
        ExpectMismatch("Counts", [1, 2], comm =>
        {
            int[] send = comm.Rank == 1 ? [1, 1, 3] : [1, 1, 1];
            comm.AllToAllV<float>(new float[send.Sum()], send, Output(3), [1, 1, 1]);
        });

    private static void ExpectMismatch(string field, int[] ranks, Action<Communicator> call)
    {
        using var job = new TestJob(3, TestJob.Small());
        (Exception?[] failures, bool[] untouched) = RunRecordingOutputs(job, call, TimeSpan.FromSeconds(20));
        string? message = null;
        for (int rank = 0; rank < 3; rank++)
        {
            Assert.That(failures[rank], Is.TypeOf<CollectiveMismatchException>(), $"rank {rank}");
            var mismatch = (CollectiveMismatchException)failures[rank]!;
            Assert.That(mismatch.Field, Is.EqualTo(field), $"rank {rank}");
            Assert.That(mismatch.Ranks, Is.EqualTo(ranks), $"rank {rank}");
            Assert.That(mismatch.Message, Is.EqualTo(message ??= mismatch.Message), $"rank {rank}: the same message everywhere");
            Assert.That(untouched[rank], $"rank {rank}: output written despite the mismatch");
        }
        // The ranks are still in step: a matched exchange works afterwards.
        job.Run(comm =>
        {
            var output = new float[3];
            comm.AllToAll<float>(new float[] { comm.Rank, comm.Rank, comm.Rank }, output);
            Assert.That(output, Is.EqualTo(new float[] { 0, 1, 2 }));
        });
    }

    public static IEnumerable<TestCaseData> BadInputs()
    {
        yield return Bad("input", c => c.AllToAll<float>(new float[7], Output(7)));
        yield return Bad("output", c => c.AllToAll<float>(new float[6], Output(9)));
        yield return Bad("output", c =>
        {
            float[] shared = Output(12);
            c.AllToAll<float>(shared.AsSpan(0, 6), shared.AsSpan(3, 6));
        });
        yield return Bad("sendCounts", c => c.AllToAllV<float>(new float[2], [1, 1], Output(3), [1, 1, 1]));
        yield return Bad("receiveCounts", c => c.AllToAllV<float>(new float[3], [1, 1, 1], Output(3), [1, 1, 1, 0]));
        yield return Bad("sendCounts", c => c.AllToAllV<float>(new float[1], [2, -1, 0], Output(3), [1, 1, 1]));
        yield return Bad("receiveCounts", c => c.AllToAllV<float>(new float[3], [1, 1, 1], Output(3), [4, -1, 0]));
        yield return Bad("input", c => c.AllToAllV<float>(new float[4], [1, 1, 1], Output(3), [1, 1, 1]));
        yield return Bad("output", c => c.AllToAllV<float>(new float[3], [1, 1, 1], Output(2), [1, 1, 1]));
        yield return Bad("output", c =>
        {
            float[] shared = Output(6);
            c.AllToAllVAsync<float>(shared.AsMemory(0, 3), new[] { 1, 1, 1 }, shared.AsMemory(2, 3), new[] { 1, 1, 1 });
        });
        yield return Bad("input", c => c.AllToAllAsync<float>(new float[4], Output(4)));
    }

    private static TestCaseData Bad(string parameter, Action<Communicator> call) => new TestCaseData(parameter, call).SetArgDisplayNames(parameter);

    /// <summary>Every rank passes the same bad argument: each throws at once, nothing is sent, and the job goes on.</summary>
    [TestCaseSource(nameof(BadInputs)), CancelAfter(30_000)]
    public void BadInputThrowsBeforeAnythingIsSent(string parameter, Action<Communicator> call)
    {
        using var job = new TestJob(3, TestJob.Small(timeoutMs: 60_000));
        (Exception?[] failures, bool[] untouched) = RunRecordingOutputs(job, call, TimeSpan.FromSeconds(20));
        for (int rank = 0; rank < 3; rank++)
        {
            Assert.That(failures[rank], Is.InstanceOf<ArgumentException>(), $"rank {rank}");
            Assert.That(((ArgumentException)failures[rank]!).ParamName, Is.EqualTo(parameter), $"rank {rank}");
            Assert.That(untouched[rank], $"rank {rank}: output written");
        }
        job.Run(comm => comm.Barrier());
    }

    [TestCase(false), TestCase(true), CancelAfter(30_000)]
    public void A_rank_that_never_arrives_times_out_on_every_other_rank_naming_it(bool variable)
    {
        using var job = new TestJob(3, TestJob.Small(timeoutMs: 300));
        (Exception?[] failures, TimeSpan[] elapsed) = RankThreads.RunWithoutLastRank(job.Ranks, comm =>
        {
            if (variable) comm.AllToAllV<float>(new float[3], [1, 1, 1], new float[3], [1, 1, 1]);
            else comm.AllToAll<float>(new float[3000], new float[3000]);
        });
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.That(failures[rank], Is.TypeOf<CollectiveTimeoutException>(), $"rank {rank}");
            Assert.That(((CollectiveTimeoutException)failures[rank]!).MissingRanks, Is.EqualTo(new[] { 2 }), $"rank {rank}");
            Assert.That(elapsed[rank], Is.LessThan(TimeSpan.FromSeconds(10)), $"rank {rank}");
        }
        Assert.That(failures[2], Is.Null);
    }
}
