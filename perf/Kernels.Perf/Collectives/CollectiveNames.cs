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
    public const string Hierarchical = "Kernels MPI path (2 simulated hosts)";
    public const string Mpi = "MPI";
    public const string Gloo = "Gloo";

    /// <summary>Ours first, then the peers: the column order of the tables.</summary>
    public static readonly IReadOnlyList<string> Contenders = [Threads, SharedSpans, SharedBuffers, Hierarchical, Mpi, Gloo];

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
