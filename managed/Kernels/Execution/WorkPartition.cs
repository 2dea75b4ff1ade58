using Kernels.Interop;

namespace Kernels.Execution;

/// <summary>
/// Splits a kernel call over cores: contiguous ranges of items (elements or rows), one per thread,
/// above a size threshold; the caller's thread alone below it, where waking threads costs more than it saves.
/// Every native kernel is single-threaded over the range it is given, so the split never changes results.
/// </summary>
internal static class WorkPartition
{
    /// <summary>
    /// Bytes a call must move before a second thread pays off: a Parallel.For hand-off costs ~5-10 us, which at 512 KiB
    /// cost more than the L2-resident single-thread time (measured by kernels-perf: accumulate f32 fell from 267 to 62 GB/s).
    /// </summary>
    internal const long ParallelThresholdBytes = 2 * 1024 * 1024;

    /// <summary>Items per range are rounded to this many so that two threads never write one cache line.</summary>
    private const long ItemAlignment = 64;

    internal delegate kn_status RangeKernel(long start, long count);

    /// <summary>How many ranges to use for <paramref name="items"/> items that each move <paramref name="bytesPerItem"/> bytes.</summary>
    internal static int PartsFor(long items, long bytesPerItem, long minItemsPerPart = ItemAlignment)
    {
        int threads = KernelThreading.MaxDegreeOfParallelism;
        if (threads <= 1 || items * bytesPerItem < ParallelThresholdBytes)
        {
            return 1;
        }
        return (int)Math.Clamp(items / Math.Max(1, minItemsPerPart), 1, threads);
    }

    /// <summary>Runs <paramref name="kernel"/> over <paramref name="parts"/> contiguous ranges of [0, items), the caller taking one.</summary>
    /// <exception cref="KernelsNativeException">A range failed in native code; the first failure is rethrown here.</exception>
    internal static void Run(long items, int parts, RangeKernel kernel, long alignment = ItemAlignment)
    {
        if (parts <= 1)
        {
            Native.Check(kernel(0, items));
            return;
        }
        KernelsNativeException? failure = null;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            (long start, long count) = Slice(items, parts, part, alignment);
            kn_status status = count == 0 ? kn_status.KN_OK : kernel(start, count);
            if (status != kn_status.KN_OK)
            {
                // The message lives in this worker's thread-local kn_last_error: capture it here.
                Interlocked.CompareExchange(ref failure, Native.ExceptionFor(status), null);
            }
        });
        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Range <paramref name="part"/> of <paramref name="parts"/>: boundaries are multiples of <paramref name="alignment"/>, the last range takes the rest.</summary>
    internal static (long Start, long Count) Slice(long items, int parts, int part, long alignment)
    {
        long perPart = (items + parts - 1) / parts;
        perPart = (perPart + alignment - 1) / alignment * alignment;
        long start = Math.Min(items, perPart * part);
        long end = part == parts - 1 ? items : Math.Min(items, start + perPart);
        return (start, end - start);
    }
}
