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

    /// <summary>
    /// Rank 0 all-reduces 7 floats, the others 8: every rank must get the mismatch, and the communicator must stay usable.
    /// Then rank 0 sends 5 floats to rank 1, which expects 6: both must get the mismatch.
    /// </summary>
    internal static int Mismatch()
    {
        using Communicator communicator = Communicator.FromEnvironment(WorkerOptions.Small);
        try
        {
            communicator.AllReduce(new float[communicator.Rank == 0 ? 7 : 8].AsSpan(), Kernels.ReduceOp.Sum);
            Console.WriteLine($"no-mismatch rank={communicator.Rank}");
            return 1;
        }
        catch (CollectiveMismatchException mismatch)
        {
            Console.WriteLine($"mismatch rank={communicator.Rank} field={mismatch.Field} message={mismatch.Message}");
        }
        var data = new float[5];
        data.AsSpan().Fill(1);
        communicator.AllReduce(data.AsSpan(), Kernels.ReduceOp.Sum);
        Console.WriteLine($"usable rank={communicator.Rank} sum={data[0]}");
        try
        {
            if (communicator.Rank == 0)
                communicator.Send<float>(data, 1);
            else if (communicator.Rank == 1)
                communicator.Recv<float>(new float[6], 0);
        }
        catch (CollectiveMismatchException mismatch)
        {
            Console.WriteLine($"p2p-mismatch rank={communicator.Rank} field={mismatch.Field}");
        }
        return 0;
    }

    /// <summary>
    /// After one all-reduce, <paramref name="failingRank"/> either kills its own process (<c>kill</c>) or stops calling
    /// collectives until past the others' deadline, and then dies (<c>stall</c>); every other rank all-reduces until it gets an exception and reports which, and how long
    /// the failing call waited. Survivors then dispose (removing their shared-memory files) and exit without finalising MPI
    /// (an operation was abandoned).
    /// </summary>
    internal static int FailOne(string how, int failingRank)
    {
        using Communicator communicator = Communicator.FromEnvironment(WorkerOptions.Small);
        var data = new float[1025];
        communicator.AllReduce(data.AsSpan(), Kernels.ReduceOp.Sum);
        Console.WriteLine($"ready rank={communicator.Rank}");
        Console.Out.Flush();
        if (communicator.Rank == failingRank)
        {
            if (how == "kill")
            {
                Process.GetCurrentProcess().Kill();
            }
            // Past every survivor's deadline, then gone without MPI_Finalize, which would wait for the survivors.
            Thread.Sleep(communicator.Timeout * 3);
            Process.GetCurrentProcess().Kill();
        }
        var sinceLastCall = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                sinceLastCall.Restart();
                communicator.AllReduce(data.AsSpan(), Kernels.ReduceOp.Sum);
            }
        }
        catch (CollectiveException failure) when (failure is CollectiveTimeoutException or PeerLostException)
        {
            Console.WriteLine($"failed rank={communicator.Rank} exception={failure.GetType().Name} waited-ms={sinceLastCall.ElapsedMilliseconds} message={failure.Message}");
            Console.Out.Flush();
            // mpirun may end the whole job once a rank exits without MPI_Finalize (skipped: an operation was abandoned);
            // the other survivors reach their own deadline at about the same time, so give them that long to report.
            Thread.Sleep(TimeSpan.FromSeconds(2));
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
