namespace Kernels.Collectives;

/// <summary>Settings of a communicator; unset values come from the environment, then defaults.</summary>
public sealed class CommunicatorOptions
{
    /// <summary>Default deadline of every wait when neither <see cref="Timeout"/> nor <c>KN_TIMEOUT_MS</c> is set.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long any wait for peers may last before <see cref="CollectiveTimeoutException"/>; null: <c>KN_TIMEOUT_MS</c>
    /// (milliseconds), else <see cref="DefaultTimeout"/>. Must be positive.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>All-reduce algorithm; <see cref="CollectiveAlgorithm.Auto"/> (default) defers to <c>KN_ALGO</c>, then the cost model.</summary>
    public CollectiveAlgorithm Algorithm { get; init; } = CollectiveAlgorithm.Auto;

    /// <summary>
    /// Bytes of each of a rank's two staging slots (rounded up to 4 KiB; at least 4 KiB). User-span collectives larger
    /// than a slot run in rounds. Default 4 MiB.
    /// </summary>
    public int StagingSlotBytes { get; init; } = 4 << 20;

    /// <summary>Bytes each rank reserves for <see cref="Communicator.AllocateBuffer{T}(int)"/> (address space; pages are touched only when used). Default 256 MiB.</summary>
    public long BufferHeapBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Mean fraction of the index space each rank sets at and above which the sparse collectives that return dense
    /// results (<see cref="Communicator.SparseAllGather{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, Span{T}, CancellationToken)"/>
    /// and <see cref="Communicator.SparseReduceScatter{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, Span{T}, CancellationToken)"/>)
    /// densify their entries and run the dense all-reduce / reduce-scatter instead, as SparCML does. Every rank must
    /// use the same value. 0 always takes the dense path, <see cref="double.PositiveInfinity"/> never. Default
    /// <see cref="SparseDensity.DefaultThreshold"/>, the crossover the benchmark suite measures (collectives report).
    /// </summary>
    public double SparseDenseThreshold { get; init; } = SparseDensity.DefaultThreshold;

    /// <summary>Log each all-reduce's algorithm choice to stderr; null: on when <c>KN_DEBUG=1</c>.</summary>
    public bool? Debug { get; init; }
}
