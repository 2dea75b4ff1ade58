using System.Diagnostics;
using Kernels.Collectives;
using Kernels.Collectives.Transport.SharedMemory;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// Runs tests/Kernels.CollectiveWorker (copied next to the tests) as the ranks of a shared-memory job, through
/// <see cref="LocalLauncher"/> or as single processes, and collects what each rank printed.
/// </summary>
internal static class Worker
{
    /// <summary>Hard bound on any job of these tests, far above what one needs, so a broken protocol fails instead of hanging.</summary>
    internal static readonly TimeSpan JobBound = TimeSpan.FromSeconds(60);

    internal static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    internal static string Assembly
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Kernels.CollectiveWorker.dll");
            Assert.That(File.Exists(path), $"{path} is missing: Kernels.Tests references the worker project, which should copy it.");
            return path;
        }
    }

    /// <summary>Launches <paramref name="size"/> ranks of the worker running <paramref name="scenario"/> and waits for the job.</summary>
    /// <param name="algorithm">KN_ALGO for the ranks; null leaves the choice to the cost model.</param>
    internal static (LaunchResult Result, RankLines Lines) Run(int size, string[] scenario, string? jobId = null, int timeoutMs = 30_000,
        string? algorithm = null)
    {
        var lines = new RankLines(size);
        using LaunchedJob job = Start(size, scenario, lines, jobId, timeoutMs, algorithm);
        return (job.WaitForExit(), lines);
    }

    internal static LaunchedJob Start(int size, string[] scenario, RankLines lines, string? jobId = null, int timeoutMs = 30_000,
        string? algorithm = null)
    {
        var environment = new Dictionary<string, string> { ["KN_TIMEOUT_MS"] = timeoutMs.ToString() };
        if (algorithm is not null)
        {
            environment["KN_ALGO"] = algorithm;
        }
        return LocalLauncher.Start(size, Dotnet, [Assembly, .. scenario], new LaunchOptions
        {
            JobId = jobId,
            Timeout = JobBound,
            GracePeriod = TimeSpan.FromSeconds(20),
            Output = lines.Add,
            Environment = environment,
        });
    }

    /// <summary>One rank started by hand (for jobs whose ranks disagree or never complete), output captured.</summary>
    internal static Process StartRank(int rank, int size, string jobId, string scenario = "join", int timeoutMs = 30_000)
    {
        var start = new ProcessStartInfo(Dotnet, [Assembly, scenario])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["KN_RANK"] = rank.ToString();
        start.Environment["KN_WORLD_SIZE"] = size.ToString();
        start.Environment["KN_JOB"] = jobId;
        start.Environment["KN_TIMEOUT_MS"] = timeoutMs.ToString();
        return Process.Start(start)!;
    }

    /// <summary>Waits for a hand-started rank; returns its exit code and everything it wrote.</summary>
    internal static (int ExitCode, string Output) Finish(Process process)
    {
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(JobBound))
        {
            process.Kill();
            Assert.Fail("a rank did not exit within the bound");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    /// <summary>The job's files under /dev/shm.</summary>
    internal static string[] FilesOf(string jobId) => SharedMemoryNames.FilesOf(jobId);

    /// <summary>Polls until <paramref name="condition"/> holds, failing after <paramref name="bound"/>.</summary>
    internal static void WaitUntil(Func<bool> condition, string what, TimeSpan? bound = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (bound ?? JobBound))
            {
                Assert.Fail($"timed out waiting until {what}");
            }
            Thread.Sleep(10);
        }
    }
}
