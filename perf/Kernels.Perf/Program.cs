// Fully qualified: BenchmarkDotNet brings a `CommandLine` namespace too.
return Kernels.Perf.Cli.CommandLine.Dispatch(args);
