using Kernels.Collectives.Mpi;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Jobs under mpirun, as users run them: <c>mpirun -n 2</c> with Open MPI's default placement (each rank bound to its own
/// core). Measured here: <c>--bind-to none</c> lets the two busy-polling ranks share a core under load, and calls then
/// take whole scheduler time slices (8 or 16 ms instead of 10-500 µs). With Open MPI, as root, <c>--allow-run-as-root</c>;
/// on a one-core machine also <c>--oversubscribe</c>. Open MPI's shared-memory transport (vader, CMA single copy) works
/// here unmodified.
/// </summary>
internal static class MpiPeer
{
    /// <summary>
    /// Our shared-memory contenders, MPI's collectives and Gloo's in the same two processes, timed in turns per case:
    /// <c>kernels-perf collective-rank --with-peers</c> (<see cref="CollectiveRankCommand"/>) under mpirun. Needs
    /// <see cref="RunsUnderMpirun"/>; without it the job starts with the launcher, without MPI (<see cref="SharedMemoryRanks"/>).
    /// </summary>
    public static (IReadOnlyList<PeerCase> Cases, string? Problem) RunWithPeers(SweepPlan plan)
    {
        (string fileName, IReadOnlyList<string> leading) = PeerPrograms.Self();
        return RunUnderMpirun([fileName, .. leading, CollectiveRankCommand.Name, "--collectives", string.Join(",", plan.Collectives),
            CollectiveRankCommand.WithPeers], plan, simulatedHosts: null);
    }

    /// <summary>mpirun and libkernels_mpi are both here.</summary>
    public static bool RunsUnderMpirun => MpiShimLibrary.Library.IsLoaded && PeerPrograms.FindOnPath("mpirun") is not null;

    /// <summary>Why MPI is not measured, when <see cref="RunWithPeers"/> cannot run.</summary>
    public static string Unavailable => MpiShimLibrary.Library.IsLoaded
        ? "mpirun is not on PATH (Debian: openmpi-bin)"
        : $"libkernels_mpi is not loaded: {MpiShimLibrary.Library.Description}";

    /// <summary>
    /// Our collectives over the MPI path: <c>kernels-perf collective-rank</c> under mpirun with <c>KN_SIMULATED_HOSTS=2</c>,
    /// so the two ranks are two hosts of a hierarchical communicator and every byte goes through libkernels_mpi (Open MPI
    /// then moves it over its own shared memory, as for MPI's own collectives): the hierarchy's cost against MPI itself. User spans.
    /// </summary>
    public static (IReadOnlyList<PeerCase> Cases, string? Problem) RunHierarchical(SweepPlan plan)
    {
        (string fileName, IReadOnlyList<string> leading) = PeerPrograms.Self();
        return RunUnderMpirun([fileName, .. leading, CollectiveRankCommand.Name, "--collectives", string.Join(",", plan.Collectives),
            "--spans-as", CollectiveNames.Hierarchical], plan, simulatedHosts: SweepPlan.Ranks);
    }

    private static (IReadOnlyList<PeerCase> Cases, string? Problem) RunUnderMpirun(IReadOnlyList<string> program, SweepPlan plan, int? simulatedHosts)
    {
        string? mpirun = PeerPrograms.FindOnPath("mpirun");
        if (mpirun is null)
        {
            return ([], "mpirun is not on PATH (Debian: openmpi-bin)");
        }
        var arguments = new List<string> { "-n", SweepPlan.Ranks.ToString() };
        bool openMpi = PeerPrograms.FirstLineOf(mpirun, "--version")?.Contains("Open MPI", StringComparison.Ordinal) == true;
        if (openMpi)
        {
            if (Environment.UserName == "root")
            {
                arguments.Add("--allow-run-as-root");
            }
            if (Environment.ProcessorCount < SweepPlan.Ranks)
            {
                arguments.Add("--oversubscribe");
            }
        }
        // TERM=dumb: Open MPI gives local ranks a pseudo-terminal, and .NET would start its output with terminfo's
        // keypad sequence, which hides the first JSON line from PeerCase.TryParse.
        var environment = new List<(string Name, string Value)> { ("TERM", "dumb") };
        if (simulatedHosts is { } hosts)
        {
            environment.Add(("KN_SIMULATED_HOSTS", hosts.ToString()));
        }
        foreach ((string name, string value) in environment)
        {
            arguments.AddRange(openMpi ? ["-x", $"{name}={value}"] : ["-genv", name, value]);
        }
        arguments.AddRange(program);
        arguments.AddRange(plan.Arguments());
        return ChildProcess.Run(mpirun, arguments, plan.ChildDeadline);
    }
}
