namespace Kernels.Perf.Peers;

/// <summary>
/// Splits a peer's work over threads exactly as the library splits its own (managed/Kernels
/// Execution/WorkPartition): one contiguous range per thread above 512 KiB moved, the caller's thread
/// alone below it. Peers then differ from our kernels only in the code that runs on each range.
/// </summary>
public static class RangePartition
{
    /// <summary>Mirrors WorkPartition.ParallelThresholdBytes (internal to the library).</summary>
    public const long ParallelThresholdBytes = 512 * 1024;

    /// <summary>Runs <paramref name="range"/>(start, count) over [0, items) on up to <paramref name="threads"/> threads.</summary>
    /// <param name="alignment">Range boundaries are multiples of this (64 elements, or 1 row).</param>
    public static void For(int items, long bytesPerItem, int threads, int alignment, Action<int, int> range)
    {
        int parts = threads <= 1 || (long)items * bytesPerItem < ParallelThresholdBytes
            ? 1
            : Math.Clamp(items / alignment, 1, threads);
        if (parts == 1)
        {
            range(0, items);
            return;
        }
        int perPart = ((items + parts - 1) / parts + alignment - 1) / alignment * alignment;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            int start = Math.Min(items, perPart * part);
            int end = part == parts - 1 ? items : Math.Min(items, start + perPart);
            if (end > start)
            {
                range(start, end - start);
            }
        });
    }
}
