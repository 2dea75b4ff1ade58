using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Kernels.Perf.Cli;

/// <summary>`kernels-perf bdn`: the BenchmarkDotNet benchmarks in this assembly, chosen by BenchmarkDotNet's own arguments.</summary>
public static class BdnCommand
{
    public static int Execute(string[] args)
    {
        // BenchmarkDotNet's out-of-process toolchain finds the project by the assembly name, and ours
        // (kernels-perf) is not the project's name (Kernels.Perf): run in-process unless told otherwise.
        string[] effectiveArgs = args.Any(a => a.Equals("--inProcess", StringComparison.OrdinalIgnoreCase) || a is "-r" or "--runtimes")
            ? args
            : [.. args, "--inProcess"];
        IConfig config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(CommandLine.DefaultOutputRoot(), "bdn"));
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(BdnCommand).Assembly).Run(effectiveArgs, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
