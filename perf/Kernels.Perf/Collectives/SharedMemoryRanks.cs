using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Our collectives across processes where MPI is missing: <see cref="LocalLauncher"/> starts this program twice as
/// <c>kernels-perf collective-rank --with-peers</c> (<see cref="CollectiveRankCommand"/>), the ranks join over shared
/// memory and rank 0 prints the cases as JSON lines; Gloo runs in the same processes when its peer library is built.
/// </summary>
internal static class SharedMemoryRanks
{
    /// <param name="plan">Sizes, collectives and seconds.</param>
    public static (IReadOnlyList<PeerCase> Cases, string? Problem) Run(SweepPlan plan)
    {
        string[] arguments = [CollectiveRankCommand.Name, "--collectives", string.Join(",", plan.Collectives), .. plan.Arguments(),
            CollectiveRankCommand.WithPeers];
        (IReadOnlyList<string> lines, string? problem) = LaunchedRanks.TryRun(SweepPlan.Ranks, arguments, 2 * plan.ChildDeadline, "our ranks");
        return ([.. lines.Select(PeerCase.TryParse).OfType<PeerCase>()], problem);
    }
}
