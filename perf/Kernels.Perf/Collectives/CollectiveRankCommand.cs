using System.Globalization;
using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <c>kernels-perf collective-rank --collectives a,b --sizes n,m --seconds s</c>: one rank of our shared-memory job
/// (started by <see cref="SharedMemoryRanks"/> through the launcher, or by hand under <c>kernels-perf launch</c> or
/// mpirun). Sweeps user spans, then <see cref="Communicator.AllocateBuffer{T}(int)"/> buffers; rank 0 prints one JSON
/// line per case (<see cref="PeerCase"/>).
/// </summary>
public static class CollectiveRankCommand
{
    public const string Name = "collective-rank";

    public static int Execute(string[] args)
    {
        SweepPlan? plan = Parse(args);
        if (plan is null)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --collectives allreduce,reduce_scatter,allgather --sizes bytes,... --seconds s");
            return 2;
        }
        // Room for the largest buffer (all-reduce: the whole vector) plus the heap's alignment; the same on every rank.
        var options = new CommunicatorOptions { BufferHeapBytes = Math.Max(plan.LargestBytes + (16L << 20), 64L << 20) };
        using Communicator communicator = Communicator.FromEnvironment(options);
        var sweep = new RankSweep(communicator, plan.Seconds);
        foreach ((BufferKind kind, string implementation) in new[]
        {
            (BufferKind.Spans, CollectiveNames.SharedSpans), (BufferKind.Buffers, CollectiveNames.SharedBuffers),
        })
        {
            foreach (long bytes in plan.Sizes)
            {
                foreach (string collective in plan.Collectives)
                {
                    PeerCase result = sweep.Run(implementation, collective, bytes, kind);
                    if (communicator.Rank == 0)
                    {
                        Console.WriteLine(result.ToJsonLine());
                    }
                }
            }
        }
        return 0;
    }

    private static SweepPlan? Parse(string[] args)
    {
        string[]? collectives = null;
        long[]? sizes = null;
        double seconds = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--collectives":
                    collectives = args[i + 1].Split(',');
                    break;
                case "--sizes":
                    sizes = args[i + 1].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--seconds":
                    seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    return null;
            }
        }
        bool valid = collectives is not null && collectives.All(CollectiveNames.All.Contains) && sizes is { Length: > 0 } && seconds > 0
            && args.Length % 2 == 0;
        return valid ? new SweepPlan(sizes!, collectives!, seconds) : null;
    }
}
