namespace Kernels.Perf.Core;

/// <summary>Result of timing one call repeatedly: the median per-call time over samples.</summary>
public readonly record struct Timing(double MedianSeconds, int Samples, long Calls);
