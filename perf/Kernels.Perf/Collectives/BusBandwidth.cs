namespace Kernels.Perf.Collectives;

/// <summary>
/// nccl-tests' figures (DESIGN.md §5): algbw = S / t with S the whole vector (all-reduce: the buffer; reduce-scatter:
/// the input; all-gather: the output), busbw = algbw x 2(n-1)/n for all-reduce and x (n-1)/n for the others, so
/// busbw is comparable across world sizes and with the bandwidth of one link.
/// </summary>
internal static class BusBandwidth
{
    public static double Factor(string collective, int ranks) =>
        collective == CollectiveNames.AllReduce ? 2.0 * (ranks - 1) / ranks : (double)(ranks - 1) / ranks;

    /// <summary>
    /// Bytes of memory traffic per byte of S, for the whole job on one host, with no copy beyond what the algorithm
    /// needs (buffers in shared memory): all-reduce as reduce-scatter + all-gather reads n S and writes S, then reads
    /// and writes (n-1) S; reduce-scatter reads n S and writes S; all-gather reads and writes (n-1) S. Counted as
    /// STREAM counts (reads + writes, no write-allocate). User spans add the copy in and out on top.
    /// </summary>
    public static double TrafficPerByte(string collective, int ranks) => collective switch
    {
        CollectiveNames.AllReduce => 3.0 * ranks - 1,
        CollectiveNames.ReduceScatter => ranks + 1.0,
        _ => 2.0 * (ranks - 1),
    };

    /// <summary>The busbw the job would reach if its memory traffic ran at <paramref name="streamGBs"/> (all cores): the ceiling on one host.</summary>
    public static double LimitFromStream(string collective, int ranks, double streamGBs) =>
        Factor(collective, ranks) * streamGBs / TrafficPerByte(collective, ranks);
}
