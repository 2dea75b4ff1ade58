namespace Kernels.Collectives;

/// <summary>
/// Starts the ranks of a job as processes on this host — what <c>kernels-perf launch -n N -- command</c> does: each
/// gets <c>KN_RANK</c>, <c>KN_WORLD_SIZE</c> and <c>KN_JOB</c> (a fresh random id), so
/// <see cref="Communicator.FromEnvironment"/> joins them over shared memory.
/// </summary>
public static class LocalLauncher
{
    /// <summary>Exit code of a job that passed <see cref="LaunchOptions.Timeout"/> (as coreutils' timeout).</summary>
    public const int TimedOutExitCode = 124;

    /// <summary>Starts <paramref name="size"/> processes of <paramref name="fileName"/> with <paramref name="arguments"/>; they run until <see cref="LaunchedJob.WaitForExit"/> or disposal.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not in 1..<see cref="Communicator.MaxSize"/>.</exception>
    /// <exception cref="ArgumentException"><see cref="LaunchOptions.JobId"/> is not a valid job id.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The program cannot be started (no rank is left running).</exception>
    public static LaunchedJob Start(int size, string fileName, IEnumerable<string> arguments, LaunchOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Communicator.MaxSize);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        return new LaunchedJob(size, fileName, [.. arguments], options ?? new LaunchOptions());
    }

    /// <summary>Starts the job and waits for it to end; see <see cref="LaunchedJob.WaitForExit"/>.</summary>
    /// <inheritdoc cref="Start" path="/exception"/>
    public static LaunchResult Run(int size, string fileName, IEnumerable<string> arguments, LaunchOptions? options = null)
    {
        using LaunchedJob job = Start(size, fileName, arguments, options);
        return job.WaitForExit();
    }
}
