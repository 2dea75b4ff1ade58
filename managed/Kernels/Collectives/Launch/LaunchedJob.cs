using System.Diagnostics;
using Kernels.Collectives.Transport.SharedMemory;

namespace Kernels.Collectives;

/// <summary>The running processes of a job started by <see cref="LocalLauncher"/>; disposing it kills any still running.</summary>
public sealed class LaunchedJob : IDisposable
{
    private const int PollMilliseconds = 20;
    private static readonly object ConsoleLock = new();

    private readonly Process[] _processes;
    private readonly LaunchOptions _options;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _killedAll;
    private int _disposed;

    internal LaunchedJob(int size, string fileName, IReadOnlyList<string> arguments, LaunchOptions options)
    {
        JobId = options.JobId ?? SharedMemoryNames.NewJobId();
        SharedMemoryNames.CheckJobId(JobId, nameof(LaunchOptions.JobId));
        _options = options;
        _processes = new Process[size];
        try
        {
            for (int rank = 0; rank < size; rank++)
            {
                _processes[rank] = StartRank(rank, size, fileName, arguments);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The job id the ranks were given (<c>KN_JOB</c>).</summary>
    public string JobId { get; }

    /// <summary>Number of ranks.</summary>
    public int Size => _processes.Length;

    /// <summary>The process id of <paramref name="rank"/>.</summary>
    public int ProcessIdOf(int rank) => _processes[rank].Id;

    /// <summary>Kills <paramref name="rank"/>'s process (SIGKILL) and its children, if it still runs.</summary>
    public void Kill(int rank)
    {
        try
        {
            _processes[rank].Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    /// <summary>
    /// Waits until every rank has exited. When one exits with a non-zero code the others get
    /// <see cref="LaunchOptions.GracePeriod"/> to finish and are then killed; past <see cref="LaunchOptions.Timeout"/>
    /// all are killed. Afterwards any shared-memory file of the job still under /dev/shm (left by ranks that were
    /// killed) is removed.
    /// </summary>
    public LaunchResult WaitForExit()
    {
        int? firstFailed = null;
        TimeSpan? killAt = null;
        bool timedOut = false;
        while (true)
        {
            bool allExited = true;
            for (int rank = 0; rank < Size; rank++)
            {
                if (!_processes[rank].HasExited)
                {
                    allExited = false;
                }
                else if (firstFailed is null && !_killedAll && _processes[rank].ExitCode != 0)
                {
                    firstFailed = rank;
                    killAt = _clock.Elapsed + _options.GracePeriod;
                }
            }
            if (allExited)
            {
                break;
            }
            if (_clock.Elapsed >= killAt)
            {
                KillAll();
            }
            if (!timedOut && _clock.Elapsed >= _options.Timeout)
            {
                timedOut = true;
                KillAll();
            }
            Thread.Sleep(PollMilliseconds);
        }
        foreach (Process process in _processes)
        {
            process.WaitForExit(); // drains the redirected output
        }
        int[] exitCodes = [.. _processes.Select(process => process.ExitCode)];
        int exitCode = firstFailed is int failed ? exitCodes[failed] : timedOut ? LocalLauncher.TimedOutExitCode : 0;
        return new LaunchResult(exitCode, exitCodes, firstFailed, timedOut, LeftoverFiles.RemoveAll(JobId));
    }

    /// <summary>Kills every rank still running and removes the job's shared-memory files. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        KillAll();
        foreach (Process? process in _processes)
        {
            process?.WaitForExit();
            process?.Dispose();
        }
        LeftoverFiles.RemoveAll(JobId);
    }

    private Process StartRank(int rank, int size, string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _options.WorkingDirectory ?? "",
        };
        foreach ((string name, string value) in _options.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        start.Environment[RankEnvironment.RankVariable] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[RankEnvironment.SizeVariable] = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[RankEnvironment.JobVariable] = JobId;
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => Forward(rank, isError: false, line.Data);
        process.ErrorDataReceived += (_, line) => Forward(rank, isError: true, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Forward(int rank, bool isError, string? line)
    {
        if (line is null)
        {
            return; // end of stream
        }
        if (_options.Output is { } output)
        {
            output(new RankOutput(rank, isError, line));
            return;
        }
        lock (ConsoleLock)
        {
            (isError ? Console.Error : Console.Out).WriteLine($"[{rank}] {line}");
        }
    }

    private void KillAll()
    {
        _killedAll = true;
        for (int rank = 0; rank < _processes.Length; rank++)
        {
            if (_processes[rank] is not null)
            {
                Kill(rank);
            }
        }
    }
}
