namespace Kernels.Perf.Collectives;

/// <summary>Names of the collectives group: collectives as the peers print them, and contenders as results.json and the report show them.</summary>
internal static class CollectiveNames
{
    public const string Group = "collectives";

    public const string AllReduce = "allreduce";
    public const string ReduceScatter = "reduce_scatter";
    public const string AllGather = "allgather";

    public static readonly IReadOnlyList<string> All = [AllReduce, ReduceScatter, AllGather];

    public const string Threads = "Kernels threads (in-process)";
    public const string SharedSpans = "Kernels shm (user spans)";
    public const string SharedBuffers = "Kernels shm (AllocateBuffer)";
    public const string SharedTwoShotSpans = "Kernels shm two-shot (user spans)";
    public const string SharedTwoShotBuffers = "Kernels shm two-shot (AllocateBuffer)";
    public const string SharedRingSpans = "Kernels shm ring (user spans)";
    public const string SharedRingBuffers = "Kernels shm ring (AllocateBuffer)";
    public const string Hierarchical = "Kernels MPI path (2 simulated hosts)";
    public const string Mpi = "MPI";
    public const string Gloo = "Gloo";

    /// <summary>Ours first, then the peers: the column order of the tables.</summary>
    public static readonly IReadOnlyList<string> Contenders =
        [Threads, SharedSpans, SharedBuffers, SharedTwoShotSpans, SharedRingSpans, SharedTwoShotBuffers, SharedRingBuffers, Hierarchical, Mpi, Gloo];

    /// <summary>The all-reduce algorithms the process contenders force besides the cost model's choice (a communicator each in <c>collective-rank --with-peers</c>).</summary>
    public static readonly IReadOnlyList<string> ForcedAlgorithms = ["twoshot", "ring"];

    /// <summary>Our process contenders' names (user spans, buffers) for a forced algorithm, or the cost model's (null).</summary>
    public static (string Spans, string Buffers) SharedNames(string? algorithm) => algorithm switch
    {
        null => (SharedSpans, SharedBuffers),
        "twoshot" => (SharedTwoShotSpans, SharedTwoShotBuffers),
        "ring" => (SharedRingSpans, SharedRingBuffers),
        _ => throw new ArgumentException($"no contender names for algorithm '{algorithm}'", nameof(algorithm)),
    };

    public static bool IsOurs(string implementation) => implementation.StartsWith("Kernels", StringComparison.Ordinal);

    public static string Title(string collective) => collective switch
    {
        AllReduce => "All-reduce",
        ReduceScatter => "Reduce-scatter",
        AllGather => "All-gather",
        _ => collective,
    };

    /// <summary>"8B", "32KiB", "256MiB".</summary>
    public static string SizeLabel(long bytes) =>
        bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{bytes >> 20}MiB"
        : bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? $"{bytes >> 10}KiB"
        : $"{bytes}B";
}
