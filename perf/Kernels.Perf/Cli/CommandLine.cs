using Kernels.Perf.Core;

namespace Kernels.Perf.Cli;

/// <summary>
/// kernels-perf run [--quick] [--filter &lt;substring&gt;] [--out &lt;dir&gt;]   (the default command)
/// kernels-perf bdn [BenchmarkDotNet arguments]
/// kernels-perf launch -n N [--timeout S] [--grace S] -- command [args]
/// </summary>
public static class CommandLine
{
    private const string Usage = """
        usage:
          kernels-perf run [--quick] [--filter <substring>] [--out <dir>]
              Measures the machine's limits and every kernel against its peers; writes
              <dir>/<yyyyMMdd-HHmmss>/report.md, results.json and PNG charts (default dir: perf/results).
          kernels-perf bdn [BenchmarkDotNet arguments, e.g. --filter *Reduce* --job short]
              The same kernels as BenchmarkDotNet benchmarks.
          kernels-perf compressed-link [--floats n] [--steps s] [--shaped-gbit r] [--out dir]
              One rank of the two-host 1 Gbit/s experiment (run perf/two-hosts-1gbit.sh, which starts it under mpirun).
        """ + "\n" + LaunchCommand.Usage;

    public static int Dispatch(string[] args)
    {
        string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
        string[] rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        switch (command)
        {
            case "run":
                RunOptions? options = ParseRun(rest);
                return options is null ? 2 : RunCommand.Execute(options, Console.Out);
            case "bdn":
                return BdnCommand.Execute(rest);
            case Collectives.CollectiveRankCommand.Name:  // one rank of the collectives group's shared-memory job
                return Collectives.CollectiveRankCommand.Execute(rest);
            case Collectives.FusedRankCommand.Name:  // one rank of the collectives group's 2-process fused comparison
                return Collectives.FusedRankCommand.Execute(rest);
            case Attention.RingRankCommand.Name:  // one rank of the attention group's 2-process ring measurement
                return Attention.RingRankCommand.Execute(rest);
            case Cuda.GpuRankCommand.Name:  // one rank (one GPU) of the cuda group's multi-GPU measurement
                return Cuda.GpuRankCommand.Execute(rest);
            case "launch":
                return LaunchCommand.Execute(rest);
            case TwoHosts.CompressedLinkCommand.Name:  // one rank of perf/two-hosts-1gbit.sh
                return TwoHosts.CompressedLinkCommand.Execute(rest);
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                Console.Error.WriteLine($"unknown command '{command}'.");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static RunOptions? ParseRun(string[] args)
    {
        bool quick = false;
        string? filter = null;
        string outputRoot = DefaultOutputRoot();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    outputRoot = Path.GetFullPath(args[++i]);
                    break;
                case "--help" or "-h":
                    Console.WriteLine(Usage);
                    return null;
                default:
                    Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'.");
                    Console.Error.WriteLine(Usage);
                    return null;
            }
        }
        return new RunOptions(quick, filter, outputRoot);
    }

    /// <summary>perf/results of the repository this binary was built from, or ./perf-results when run elsewhere.</summary>
    public static string DefaultOutputRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(dir.FullName, "perf")))
            {
                return Path.Combine(dir.FullName, "perf", "results");
            }
        }
        return Path.GetFullPath("perf-results");
    }
}
