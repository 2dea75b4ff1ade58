using Kernels.Collectives;

namespace Kernels.Tests.Collectives;

/// <summary>An in-process job whose communicators are all disposed at the end of a test.</summary>
internal sealed class TestJob : IDisposable
{
    internal TestJob(int size, CommunicatorOptions? options = null) => Ranks = Communicator.CreateInProcess(size, options);

    internal Communicator[] Ranks { get; }

    internal static CommunicatorOptions Small(CollectiveAlgorithm algorithm = CollectiveAlgorithm.Auto, int timeoutMs = 30_000) => new()
    {
        Algorithm = algorithm,
        // One page per slot: 1025 floats already need two rounds, so chunking and slot alternation are exercised.
        StagingSlotBytes = 4096,
        BufferHeapBytes = 4 << 20,
        Timeout = TimeSpan.FromMilliseconds(timeoutMs),
        Debug = false,
    };

    internal void Run(Action<Communicator> body, TimeSpan? bound = null) => RankThreads.RunAll(Ranks, body, bound);

    public void Dispose()
    {
        foreach (Communicator rank in Ranks)
        {
            rank.Dispose();
        }
    }
}
