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
        (string fileName, IReadOnlyList<string> leading) = PeerPrograms.Self();
        var cases = new List<PeerCase>();
        var errors = new List<string>();
        var options = new LaunchOptions
        {
            Timeout = 2 * plan.ChildDeadline,
            Output = output =>
            {
                lock (cases)
                {
                    if (output.IsError)
                    {
                        errors.Add($"[{output.Rank}] {output.Line}");
                    }
                    else if (output.Rank == 0 && PeerCase.TryParse(output.Line) is { } parsed)
                    {
                        cases.Add(parsed);
                    }
                }
            },
        };
        string[] arguments = [.. leading, CollectiveRankCommand.Name, "--collectives", string.Join(",", plan.Collectives), .. plan.Arguments(),
            CollectiveRankCommand.WithPeers];
        LaunchResult result = LocalLauncher.Run(SweepPlan.Ranks, fileName, arguments, options);
        lock (cases)
        {
            return result.ExitCode == 0
                ? (cases, null)
                : (cases, $"our ranks exited with {result.ExitCode}{(result.TimedOut ? " (timed out)" : "")}: {string.Join(" | ", errors.TakeLast(3))}");
        }
    }
}
