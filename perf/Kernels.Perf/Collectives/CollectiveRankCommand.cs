using System.Globalization;
using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <c>kernels-perf collective-rank --collectives a,b --sizes n,m --seconds s [--alongside-mpi | --algorithm twoshot|ring | --spans-as name]</c>:
/// one rank of our shared-memory job, bound to its own core as mpirun binds the MPI ranks (<see cref="CoreBinding"/>);
/// rank 0 prints one JSON line per case (<see cref="PeerCase"/>).
/// <list type="bullet">
/// <item>--alongside-mpi (under mpirun, one host): every case times in turns (<see cref="RankSweep.RunAlternated"/>) our
/// user spans and <see cref="Communicator.AllocateBuffer{T}(int)"/> buffers with the cost model's algorithm, for
/// all-reduce also two-shot and the ring forced (a communicator each), and MPI's own collective through libkernels_mpi
/// (<see cref="MpiContenders"/>), all in these processes.</item>
/// <item>Otherwise (under <c>kernels-perf launch</c> where MPI is missing, or under mpirun for the MPI path) each case
/// alone (<see cref="RankSweep.Run"/>): user spans, then buffers, with the cost model's algorithm or the one --algorithm
/// forces (under its own contender names); --spans-as: user spans only, under that name (<see cref="MpiPeer.RunHierarchical"/>).</item>
/// </list>
/// </summary>
public static class CollectiveRankCommand
{
    public const string Name = "collective-rank";
    public const string AlongsideMpi = "--alongside-mpi";

    public static int Execute(string[] args)
    {
        Arguments? parsed = Parse(args);
        if (parsed is null)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --collectives allreduce,reduce_scatter,allgather --sizes bytes,... --seconds s [{AlongsideMpi} | --algorithm {string.Join("|", CollectiveNames.ForcedAlgorithms)} | --spans-as name]");
            return 2;
        }
        SweepPlan plan = parsed.Plan;
        return parsed.AlongsideMpi ? RunAlongsideMpi(plan) : RunAlone(plan, parsed.Algorithm, parsed.SpansAs);
    }

    /// <summary>Room for the largest buffer (all-reduce: the whole vector) plus the heap's alignment; the same on every rank.</summary>
    private static CommunicatorOptions OptionsFor(SweepPlan plan, CollectiveAlgorithm algorithm) => new()
    {
        BufferHeapBytes = Math.Max(plan.LargestBytes + (16L << 20), 64L << 20),
        Algorithm = algorithm,
    };

    private static CollectiveAlgorithm AlgorithmOf(string? name) => name switch
    {
        "twoshot" => CollectiveAlgorithm.TwoShot,
        "ring" => CollectiveAlgorithm.Ring,
        _ => CollectiveAlgorithm.Auto,
    };

    private static int RunAlongsideMpi(SweepPlan plan)
    {
        RankEnvironment environment = RankEnvironment.Read(Environment.GetEnvironmentVariable);
        Communicator Join(string? algorithm) => Communicator.CreateSharedMemory(environment.Rank, environment.Size,
            algorithm is null ? environment.JobId : $"{environment.JobId}-{algorithm}", OptionsFor(plan, AlgorithmOf(algorithm)));
        using Communicator communicator = Join(null);
        var forced = CollectiveNames.ForcedAlgorithms.Select(algorithm => (Names: CollectiveNames.SharedNames(algorithm), Communicator: Join(algorithm))).ToList();
        using MpiContenders mpi = MpiContenders.Start();
        try
        {
            CoreBinding.BindCurrentThread(communicator.Rank);
            var sweep = new RankSweep(communicator, plan.Seconds);
            List<RankContender> Contenders(string collective, long bytes)
            {
                var contenders = new List<RankContender>
                {
                    RankSweep.Ours(communicator, CollectiveNames.SharedSpans, collective, bytes, BufferKind.Spans),
                    RankSweep.Ours(communicator, CollectiveNames.SharedBuffers, collective, bytes, BufferKind.Buffers),
                };
                if (collective == CollectiveNames.AllReduce)
                {
                    foreach (((string spans, string buffers), Communicator other) in forced)
                    {
                        contenders.Add(RankSweep.Ours(other, spans, collective, bytes, BufferKind.Spans));
                        contenders.Add(RankSweep.Ours(other, buffers, collective, bytes, BufferKind.Buffers));
                    }
                }
                contenders.Add(mpi.For(collective, bytes, communicator.Rank, communicator.Size));
                return contenders;
            }
            // An untimed pass of the smallest case first, as nccl-tests' warm-up iterations (start-up costs of a fresh process).
            foreach (string collective in plan.Collectives)
            {
                sweep.RunAlternated(Contenders(collective, plan.Sizes.Min()));
            }
            foreach (long bytes in plan.Sizes)
            {
                foreach (string collective in plan.Collectives)
                {
                    Print(communicator, sweep.RunAlternated(Contenders(collective, bytes)));
                }
            }
        }
        finally
        {
            foreach ((_, Communicator other) in forced)
            {
                other.Dispose();
            }
        }
        return 0;
    }

    private static int RunAlone(SweepPlan plan, string? algorithm, string? spansAs)
    {
        (string spansName, string buffersName) = CollectiveNames.SharedNames(algorithm);
        (BufferKind Kind, string Implementation)[] kinds = spansAs is null
            ? [(BufferKind.Spans, spansName), (BufferKind.Buffers, buffersName)]
            : [(BufferKind.Spans, spansAs)];
        using Communicator communicator = Communicator.FromEnvironment(OptionsFor(plan, AlgorithmOf(algorithm)));
        CoreBinding.BindCurrentThread(communicator.Rank);
        var sweep = new RankSweep(communicator, plan.Seconds);
        // An untimed pass of the smallest case of each kind first, as nccl-tests' warm-up iterations: the first case
        // of a fresh process otherwise pays for its start-up (JIT tiering, page faults) on both ranks — 8 B all-reduce:
        // 100-260 µs first, 3-6 µs when the same case ran again in the same process — which the native peers never pay.
        foreach ((BufferKind kind, _) in kinds)
        {
            foreach (string collective in plan.Collectives)
            {
                sweep.Run(RankSweep.Ours(communicator, "warm-up", collective, plan.Sizes.Min(), kind));
            }
        }
        foreach ((BufferKind kind, string implementation) in kinds)
        {
            foreach (long bytes in plan.Sizes)
            {
                foreach (string collective in plan.Collectives)
                {
                    Print(communicator, [sweep.Run(RankSweep.Ours(communicator, implementation, collective, bytes, kind))]);
                }
            }
        }
        return 0;
    }

    private static void Print(Communicator communicator, IReadOnlyList<PeerCase> results)
    {
        if (communicator.Rank == 0)
        {
            foreach (PeerCase result in results)
            {
                Console.WriteLine(result.ToJsonLine());
            }
        }
    }

    private sealed record Arguments(SweepPlan Plan, bool AlongsideMpi, string? Algorithm, string? SpansAs);

    private static Arguments? Parse(string[] args)
    {
        string? algorithm = null;
        string? spansAs = null;
        string[]? collectives = null;
        long[]? sizes = null;
        double seconds = 0;
        bool alongsideMpi = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == AlongsideMpi)
            {
                alongsideMpi = true;
                continue;
            }
            if (i + 1 >= args.Length)
            {
                return null;
            }
            string value = args[++i];
            switch (args[i - 1])
            {
                case "--collectives":
                    collectives = value.Split(',');
                    break;
                case "--sizes":
                    sizes = value.Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--seconds":
                    seconds = double.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--algorithm" when CollectiveNames.ForcedAlgorithms.Contains(value):
                    algorithm = value;
                    break;
                case "--spans-as":
                    spansAs = value;
                    break;
                default:
                    return null;
            }
        }
        bool valid = collectives is not null && collectives.All(CollectiveNames.All.Contains) && sizes is { Length: > 0 } && seconds > 0
            && !(alongsideMpi && (algorithm is not null || spansAs is not null));
        return valid ? new Arguments(new SweepPlan(sizes!, collectives!, seconds), alongsideMpi, algorithm, spansAs) : null;
    }
}
