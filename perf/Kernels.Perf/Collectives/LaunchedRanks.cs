using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Starts this program as the ranks of a job through <see cref="LocalLauncher"/> (one of its rank commands) and returns
/// rank 0's output lines; a rank that fails fails the measurement, with the last errors the ranks printed.
/// </summary>
internal static class LaunchedRanks
{
    /// <param name="ranks">Processes to start.</param>
    /// <param name="arguments">The rank command and its options (this program's path is added).</param>
    /// <param name="timeout">For the whole job.</param>
    /// <param name="what">Names the ranks in the exception.</param>
    /// <exception cref="InvalidOperationException">A rank exited with an error or the job timed out.</exception>
    public static IReadOnlyList<string> Run(int ranks, IReadOnlyList<string> arguments, TimeSpan timeout, string what)
    {
        (IReadOnlyList<string> lines, string? problem) = TryRun(ranks, arguments, timeout, what);
        return problem is null ? lines : throw new InvalidOperationException(problem);
    }

    /// <summary>As <see cref="Run"/>, but a failed job gives the lines rank 0 printed before it failed and what went wrong.</summary>
    public static (IReadOnlyList<string> Lines, string? Problem) TryRun(int ranks, IReadOnlyList<string> arguments, TimeSpan timeout, string what)
    {
        (string fileName, IReadOnlyList<string> leading) = PeerPrograms.Self();
        var lines = new List<string>();
        var errors = new List<string>();
        LaunchResult launch = LocalLauncher.Run(ranks, fileName, [.. leading, .. arguments], new LaunchOptions
        {
            Timeout = timeout,
            Output = output =>
            {
                lock (lines)
                {
                    if (output.IsError)
                    {
                        errors.Add($"[{output.Rank}] {output.Line}");
                    }
                    else if (output.Rank == 0)
                    {
                        lines.Add(output.Line);
                    }
                }
            },
        });
        lock (lines)
        {
            string? problem = launch.ExitCode == 0 ? null
                : $"{what} exited with {launch.ExitCode}{(launch.TimedOut ? " (timed out)" : "")}: {string.Join(" | ", errors.TakeLast(3))}";
            return ([.. lines], problem);
        }
    }
}
