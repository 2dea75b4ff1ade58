namespace Kernels.Collectives;

/// <summary>How <see cref="LocalLauncher"/> runs a job.</summary>
public sealed class LaunchOptions
{
    /// <summary>Default of <see cref="GracePeriod"/>.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(10);

    /// <summary>The job's id (<c>KN_JOB</c>); null: a fresh random 128-bit id, which is what a job should normally use.</summary>
    public string? JobId { get; init; }

    /// <summary>Kill every rank still running after this long; null: no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Once a rank has exited with a non-zero code, how long the others get to notice (they see the peer lost) and
    /// exit on their own before they are killed.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = DefaultGracePeriod;

    /// <summary>Receives every line the ranks write; null: written to this process's stdout/stderr as <c>[rank] line</c>.</summary>
    public Action<RankOutput>? Output { get; init; }

    /// <summary>More environment variables for every rank (the launcher's own <c>KN_*</c> variables win).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Working directory of the ranks; null: this process's.</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>One line a rank wrote.</summary>
/// <param name="Rank">The rank that wrote it.</param>
/// <param name="IsError">Whether it came from the rank's stderr.</param>
/// <param name="Line">The text, without the line break.</param>
public readonly record struct RankOutput(int Rank, bool IsError, string Line);

/// <summary>How a launched job ended.</summary>
/// <param name="ExitCode">0 when every rank exited with 0; else the exit code of the first rank seen failing, or 124 when the job timed out first.</param>
/// <param name="ExitCodes">Each rank's exit code (128 + signal for a killed rank).</param>
/// <param name="FirstFailedRank">The first rank seen exiting non-zero before the launcher killed anything, if any.</param>
/// <param name="TimedOut">Whether <see cref="LaunchOptions.Timeout"/> passed and the launcher killed the job.</param>
/// <param name="RemovedLeftovers">Shared-memory files of the job still present after every rank exited, which the launcher removed.</param>
public sealed record LaunchResult(int ExitCode, IReadOnlyList<int> ExitCodes, int? FirstFailedRank, bool TimedOut, IReadOnlyList<string> RemovedLeftovers);
