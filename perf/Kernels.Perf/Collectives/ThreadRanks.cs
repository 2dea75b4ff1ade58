using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Our collectives with the in-process transport (<see cref="Communicator.CreateInProcess"/>): the ranks are two
/// threads of this process, each bound to its own core and running the same case as a process rank would.
/// </summary>
internal sealed class ThreadRanks(double seconds) : IDisposable
{
    /// <summary>A failed case must not hang the run for the default 5-minute deadline.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly Communicator[] _ranks = Communicator.CreateInProcess(SweepPlan.Ranks, new CommunicatorOptions { Timeout = Deadline });

    /// <summary>Rank 0's figures (every rank reports the slowest rank's time).</summary>
    public PeerCase Measure(string collective, long bytes)
    {
        var results = new PeerCase?[_ranks.Length];
        var failures = new Exception?[_ranks.Length];
        Thread[] threads = _ranks.Select((communicator, rank) => new Thread(() =>
        {
            try
            {
                CoreBinding.BindCurrentThread(rank);
                results[rank] = new RankSweep(communicator, seconds).Run(RankSweep.Ours(communicator, CollectiveNames.Threads, collective, bytes, BufferKind.Spans));
            }
            catch (Exception e)
            {
                failures[rank] = e;
            }
        }) { Name = $"collectives bench rank {rank}" }).ToArray();
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
            throw new InvalidOperationException($"in-process {collective} at {bytes} B failed: {failure.Message}", failure);
        }
        return results[0]!;
    }

    public void Dispose()
    {
        foreach (Communicator rank in _ranks)
        {
            rank.Dispose();
        }
    }
}
