using System.Globalization;
using Kernels.Collectives;
using Kernels.Collectives.Algorithms;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <c>kernels-perf collective-rank --collectives a,b --sizes n,m --seconds s [--with-peers | --spans-as name]</c>: one rank of
/// our shared-memory job, bound to its own core as mpirun binds the MPI ranks (<see cref="CoreBinding"/>); rank 0 prints
/// one JSON line per case (<see cref="PeerCase"/>).
/// <list type="bullet">
/// <item>--with-peers (under mpirun, or <c>kernels-perf launch</c> where MPI is missing): every case times in turns
/// (<see cref="RankSweep.RunAlternated"/>) our user spans and <see cref="Communicator.AllocateBuffer{T}(int)"/> buffers with
/// the cost model's algorithm, for all-reduce also two-shot and the ring forced (a communicator each), MPI's own
/// collective through libkernels_mpi when mpirun started the job (<see cref="MpiContenders"/>), and for all-reduce Gloo's
/// ring when its peer library is built (<see cref="GlooContenders"/>), all in these processes.</item>
/// <item>--spans-as (under mpirun, for the MPI path: <see cref="MpiPeer.RunHierarchical"/>): user spans only, each case
/// alone (<see cref="RankSweep.Run"/>), under that name.</item>
/// </list>
/// </summary>
public static class CollectiveRankCommand
{
    public const string Name = "collective-rank";
    public const string WithPeers = "--with-peers";

    public static int Execute(string[] args)
    {
        Arguments? parsed = Parse(args);
        if (parsed is null)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --collectives allreduce,reduce_scatter,allgather --sizes bytes,... --seconds s ({WithPeers} | --spans-as name)");
            return 2;
        }
        return parsed.SpansAs is { } name ? RunSpansAlone(parsed.Plan, name) : RunWithPeers(parsed.Plan);
    }

    /// <summary>Room for the largest buffer (all-reduce: the whole vector) plus the heap's alignment; the same on every rank.</summary>
    private static CommunicatorOptions OptionsFor(SweepPlan plan, CollectiveAlgorithm algorithm) => new()
    {
        BufferHeapBytes = Math.Max(plan.LargestBytes + (16L << 20), 64L << 20),
        Algorithm = algorithm,
    };

    /// <summary>Open MPI's mpirun or MPICH's Hydra started this process (not <c>kernels-perf launch</c>).</summary>
    private static bool LaunchedByMpi() =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMI_SIZE") is not null;

    private static int RunWithPeers(SweepPlan plan)
    {
        RankEnvironment environment = RankEnvironment.Read(Environment.GetEnvironmentVariable);
        using Communicator communicator = Communicator.CreateSharedMemory(environment.Rank, environment.Size, environment.JobId,
            OptionsFor(plan, CollectiveAlgorithm.Auto));
        var forced = CollectiveNames.ForcedAlgorithms.Select(algorithm => (Names: CollectiveNames.SharedNames(algorithm),
            Communicator: Communicator.CreateSharedMemory(environment.Rank, environment.Size, $"{environment.JobId}-{algorithm}",
                OptionsFor(plan, AlgorithmChoice.Parse(algorithm))))).ToList();
        using MpiContenders? mpi = LaunchedByMpi() ? MpiContenders.Start() : null;
        using GlooContenders? gloo = GlooContenders.TryConnect(communicator, out string glooProblem);
        try
        {
            CoreBinding.BindCurrentThread(communicator.Rank);
            if (communicator.Rank == 0 && gloo is null)
            {
                Console.Error.WriteLine($"Gloo not measured: {glooProblem}");
            }
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
                    if (gloo is not null)
                    {
                        contenders.Add(gloo.AllReduce(bytes));
                    }
                }
                if (mpi is not null)
                {
                    contenders.Add(mpi.For(collective, bytes, communicator.Rank, communicator.Size));
                }
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

    private static int RunSpansAlone(SweepPlan plan, string name)
    {
        using Communicator communicator = Communicator.FromEnvironment(OptionsFor(plan, CollectiveAlgorithm.Auto));
        CoreBinding.BindCurrentThread(communicator.Rank);
        var sweep = new RankSweep(communicator, plan.Seconds);
        // An untimed pass of the smallest case first, as nccl-tests' warm-up iterations: the first case of a fresh
        // process otherwise pays for its start-up (JIT tiering, page faults) on both ranks.
        foreach (string collective in plan.Collectives)
        {
            sweep.Run(RankSweep.Ours(communicator, "warm-up", collective, plan.Sizes.Min(), BufferKind.Spans));
        }
        foreach (long bytes in plan.Sizes)
        {
            foreach (string collective in plan.Collectives)
            {
                Print(communicator, [sweep.Run(RankSweep.Ours(communicator, name, collective, bytes, BufferKind.Spans))]);
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

    private sealed record Arguments(SweepPlan Plan, string? SpansAs);

    private static Arguments? Parse(string[] args)
    {
        string? spansAs = null;
        string[]? collectives = null;
        long[]? sizes = null;
        double seconds = 0;
        bool withPeers = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == WithPeers)
            {
                withPeers = true;
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
                case "--spans-as":
                    spansAs = value;
                    break;
                default:
                    return null;
            }
        }
        bool valid = collectives is not null && collectives.All(CollectiveNames.All.Contains) && sizes is { Length: > 0 } && seconds > 0
            && withPeers == (spansAs is null);
        return valid ? new Arguments(new SweepPlan(sizes!, collectives!, seconds), spansAs) : null;
    }
}
