using System.Diagnostics;
using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// Runs one body per rank of an in-process job, each on its own thread (ranks block waiting for each other, so they
/// cannot share pool threads on a 2-core machine), with a hard bound so a broken protocol fails instead of hanging.
/// </summary>
internal static class RankThreads
{
    internal static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="body"/> on every rank; returns each rank's exception, or null where it returned.</summary>
    internal static Exception?[] Run(Communicator[] ranks, Action<Communicator> body, TimeSpan? bound = null)
    {
        var failures = new Exception?[ranks.Length];
        var threads = new Thread[ranks.Length];
        for (int rank = 0; rank < ranks.Length; rank++)
        {
            int r = rank;
            threads[rank] = new Thread(() =>
            {
                try
                {
                    body(ranks[r]);
                }
                catch (Exception e)
                {
                    failures[r] = e;
                }
            }) { IsBackground = true, Name = $"test rank {rank}" };
            threads[rank].Start();
        }
        DateTime deadline = DateTime.UtcNow + (bound ?? DefaultBound);
        foreach (Thread thread in threads)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (!thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                Assert.Fail($"{thread.Name} did not finish within {(bound ?? DefaultBound).TotalSeconds} s: the collective hung.");
            }
        }
        return failures;
    }

    /// <summary>
    /// Runs <paramref name="call"/> on every rank but the last, which never arrives (its thread only waits until the others
    /// are done, so nothing is left running); returns each rank's exception and how long each caller spent in the call.
    /// </summary>
    internal static (Exception?[] Failures, TimeSpan[] Elapsed) RunWithoutLastRank(Communicator[] ranks, Action<Communicator> call)
    {
        int absent = ranks.Length - 1;
        using var othersDone = new CountdownEvent(absent);
        var elapsed = new TimeSpan[ranks.Length];
        Exception?[] failures = Run(ranks, comm =>
        {
            if (comm.Rank == absent)
            {
                othersDone.Wait(TimeSpan.FromSeconds(20));
                return;
            }
            var clock = Stopwatch.StartNew();
            try
            {
                call(comm);
            }
            finally
            {
                elapsed[comm.Rank] = clock.Elapsed;
                othersDone.Signal();
            }
        });
        return (failures, elapsed);
    }

    /// <summary>Runs <paramref name="body"/> on every rank and fails the test with the first rank's exception.</summary>
    internal static void RunAll(Communicator[] ranks, Action<Communicator> body, TimeSpan? bound = null)
    {
        Exception?[] failures = Run(ranks, body, bound);
        for (int rank = 0; rank < failures.Length; rank++)
        {
            if (failures[rank] is { } failure)
            {
                Assert.Fail($"rank {rank} failed: {failure}");
            }
        }
    }
}
