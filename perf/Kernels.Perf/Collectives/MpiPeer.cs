namespace Kernels.Perf.Collectives;

/// <summary>
/// kn_peer_mpi under mpirun: MPI_Allreduce, MPI_Reduce_scatter_block and MPI_Allgather through libkernels_mpi, run as
/// users run it: <c>mpirun -n 2</c> with Open MPI's default placement (each rank bound to its own core). Measured here:
/// <c>--bind-to none</c> lets the two busy-polling ranks share a core under load, and calls then take whole scheduler
/// time slices (8 or 16 ms instead of 10-500 µs). With Open MPI, as root, <c>--allow-run-as-root</c>; on a one-core
/// machine also <c>--oversubscribe</c>. Open MPI's shared-memory transport (vader, CMA single copy) works here unmodified.
/// </summary>
internal static class MpiPeer
{
    public static (IReadOnlyList<PeerCase> Cases, string? Problem) Run(SweepPlan plan)
    {
        string? peer = PeerPrograms.Find("kn_peer_mpi", out string problem);
        if (peer is null)
        {
            return ([], problem);
        }
        string? mpirun = PeerPrograms.FindOnPath("mpirun");
        if (mpirun is null)
        {
            return ([], "mpirun is not on PATH (Debian: openmpi-bin)");
        }
        var arguments = new List<string> { "-n", SweepPlan.Ranks.ToString() };
        if (PeerPrograms.FirstLineOf(mpirun, "--version")?.Contains("Open MPI", StringComparison.Ordinal) == true)
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
        arguments.Add(peer);
        arguments.AddRange(plan.Arguments());
        return ChildProcess.Run(mpirun, arguments, plan.ChildDeadline);
    }
}
