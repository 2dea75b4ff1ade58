using System.Globalization;
using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <c>kernels-perf collective-rank --collectives a,b --sizes n,m --seconds s [--algorithm twoshot|ring] [--spans-as name]</c>: one rank of our shared-memory job
/// (started by <see cref="SharedMemoryRanks"/> through the launcher, or by hand under <c>kernels-perf launch</c> or
/// mpirun), bound to its own core as mpirun binds the MPI ranks (<see cref="CoreBinding"/>); --algorithm forces the
/// all-reduce algorithm instead of the cost model's choice, under its own contender names. Sweeps user spans, then <see cref="Communicator.AllocateBuffer{T}(int)"/> buffers; rank 0 prints one JSON
/// line per case (<see cref="PeerCase"/>).
/// </summary>
public static class CollectiveRankCommand
{
    public const string Name = "collective-rank";

    public static int Execute(string[] args)
    {
        (SweepPlan? plan, string? algorithm, string? spansAs) = Parse(args);
        if (plan is null)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --collectives allreduce,reduce_scatter,allgather --sizes bytes,... --seconds s [--algorithm {string.Join("|", CollectiveNames.ForcedAlgorithms)}] [--spans-as name]");
            return 2;
        }
        // --spans-as: user spans only, reported under that name (the MPI path under mpirun, MpiPeer.RunHierarchical).
        (string spansName, string buffersName) = CollectiveNames.SharedNames(algorithm);
        (BufferKind Kind, string Implementation)[] kinds = spansAs is null
            ? [(BufferKind.Spans, spansName), (BufferKind.Buffers, buffersName)]
            : [(BufferKind.Spans, spansAs)];
        // Room for the largest buffer (all-reduce: the whole vector) plus the heap's alignment; the same on every rank.
        var options = new CommunicatorOptions
        {
            BufferHeapBytes = Math.Max(plan.LargestBytes + (16L << 20), 64L << 20),
            Algorithm = algorithm switch { "twoshot" => CollectiveAlgorithm.TwoShot, "ring" => CollectiveAlgorithm.Ring, _ => CollectiveAlgorithm.Auto },
        };
        using Communicator communicator = Communicator.FromEnvironment(options);
        CoreBinding.BindCurrentThread(communicator.Rank);
        var sweep = new RankSweep(communicator, plan.Seconds);
        // An untimed pass of the smallest case of each kind first, as nccl-tests' warm-up iterations: the first case
        // of a fresh process otherwise pays for its start-up (JIT tiering, page faults) on both ranks — 8 B all-reduce:
        // 100-260 µs first, 3-6 µs when the same case ran again in the same process — which the native peers never pay.
        foreach ((BufferKind kind, _) in kinds)
        {
            foreach (string collective in plan.Collectives)
            {
                sweep.Run("warm-up", collective, plan.Sizes.Min(), kind);
            }
        }
        foreach ((BufferKind kind, string implementation) in kinds)
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

    private static (SweepPlan? Plan, string? Algorithm, string? SpansAs) Parse(string[] args)
    {
        string? algorithm = null;
        string? spansAs = null;
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
                case "--algorithm" when CollectiveNames.ForcedAlgorithms.Contains(args[i + 1]):
                    algorithm = args[i + 1];
                    break;
                case "--spans-as":
                    spansAs = args[i + 1];
                    break;
                default:
                    return (null, null, null);
            }
        }
        bool valid = collectives is not null && collectives.All(CollectiveNames.All.Contains) && sizes is { Length: > 0 } && seconds > 0
            && args.Length % 2 == 0;
        return (valid ? new SweepPlan(sizes!, collectives!, seconds) : null, algorithm, spansAs);
    }
}
