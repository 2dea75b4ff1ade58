namespace Kernels.Perf.Core;

/// <summary>
/// One unit of progress: usually one kernel at one type and size with all its peers, so buffers are
/// prepared once and every contender is timed on the same memory.
/// </summary>
/// <param name="Name">Slash-separated path, e.g. "kernels/rmsnorm/f32/16MiB"; --filter matches a substring of it.</param>
/// <param name="EstimatedSeconds">A rough cost, only used to weight the ETA.</param>
/// <param name="Run">Times the item and returns its measurements.</param>
public sealed record BenchmarkItem(string Name, double EstimatedSeconds, Func<BenchmarkContext, IReadOnlyList<Measurement>> Run);
