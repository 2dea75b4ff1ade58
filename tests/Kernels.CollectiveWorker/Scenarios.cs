using System.Diagnostics;
using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>The scenarios other than <see cref="PlanRunner"/>; each returns the process exit code.</summary>
internal static class Scenarios
{
    /// <summary>Runs all-reduces until one fails; a lost peer is the expected end (exit 0), anything else fails the rank.</summary>
    internal static int LoopUntilPeerLost(int count)
    {
        using Communicator communicator = Communicator.FromEnvironment(WorkerOptions.Small);
        var data = new float[count];
        data.AsSpan().Fill(communicator.Rank);
        communicator.AllReduce(data.AsSpan(), Kernels.ReduceOp.Sum);
        Console.WriteLine("looping");
        var sinceLastCall = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                sinceLastCall.Restart();
                communicator.AllReduce(data.AsSpan(), Kernels.ReduceOp.Max);
            }
        }
        catch (PeerLostException lost)
        {
            // How long the failing call waited, so the test can bound detection time without comparing clocks.
            Console.WriteLine($"peer-lost ranks={string.Join(",", lost.LostRanks)} waited-ms={sinceLastCall.ElapsedMilliseconds} message={lost.Message}");
            return 0;
        }
    }

    internal static int Join()
    {
        using Communicator communicator = Communicator.FromEnvironment(WorkerOptions.Small);
        communicator.Barrier();
        Console.WriteLine($"joined rank={communicator.Rank} size={communicator.Size}");
        return 0;
    }

    internal static int ExitAsTold(int failingRank, int code)
    {
        int rank = int.Parse(Environment.GetEnvironmentVariable("KN_RANK")!);
        Console.WriteLine($"out {rank}");
        Console.Error.WriteLine($"err {rank}");
        if (rank == failingRank)
        {
            return code;
        }
        Thread.Sleep(TimeSpan.FromSeconds(60));
        return 0;
    }

    internal static int Usage(string[] args)
    {
        Console.Error.WriteLine($"unknown scenario: {string.Join(" ", args)}");
        return 2;
    }
}
