using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Runs one body per rank of an in-process job, each rank on its own thread bound to its own core as the process ranks
/// are (<see cref="CoreBinding"/>), and returns rank 0's result; a failure on any rank fails the item.
/// </summary>
internal static class ThreadJob
{
    public static T Run<T>(Communicator[] ranks, string what, Func<Communicator, T> body)
    {
        var results = new T[ranks.Length];
        var failures = new Exception?[ranks.Length];
        Thread[] threads = ranks.Select((communicator, rank) => new Thread(() =>
        {
            try
            {
                CoreBinding.BindCurrentThread(rank);
                results[rank] = body(communicator);
            }
            catch (Exception e)
            {
                failures[rank] = e;
            }
        }) { Name = $"{what} rank {rank}" }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            throw new InvalidOperationException($"{what} failed: {failure.Message}", failure);
        }
        return results[0];
    }

    /// <summary>The slowest rank's value: every rank of a timed case must take the same decisions.</summary>
    public static double MaxOverRanks(Communicator communicator, double value)
    {
        float[] cell = [(float)value];
        communicator.AllReduce<float>(cell, ReduceOp.Max);
        return cell[0];
    }
}
