using System.Runtime.InteropServices;
using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// Runs attention work items (see kernels.h: query or key tiles of one head) over threads. Threads take items one at a
/// time from a shared counter, which balances causal rows of unequal cost; each item is computed by one native call
/// that writes only its own rows in a fixed order, so results do not depend on which thread took which item.
/// </summary>
internal static unsafe class AttentionWork
{
    /// <summary>
    /// Work below which waking a second thread costs more than it saves (a Parallel.For hand-off is ~5-10 us; one
    /// thread does ~1e5 FLOP per us here).
    /// </summary>
    private const double ParallelThresholdFlops = 4e6;

    internal delegate kn_status ItemRangeKernel(long begin, long count, void* workspace, nuint workspaceBytes);

    /// <summary>Computes items [0, <paramref name="items"/>), each worth about <paramref name="flopsPerItem"/>.</summary>
    /// <exception cref="KernelsNativeException">A native call failed; the first failure is rethrown here.</exception>
    internal static void Run(long items, double flopsPerItem, nuint workspaceBytes, ItemRangeKernel kernel)
    {
        if (items == 0)
        {
            return;
        }
        int threads = (int)Math.Min(KernelThreading.MaxDegreeOfParallelism, items);
        if (threads <= 1 || items * flopsPerItem < ParallelThresholdFlops)
        {
            void* workspace = NativeMemory.AlignedAlloc(workspaceBytes, 64);
            try
            {
                Native.Check(kernel(0, items, workspace, workspaceBytes));
            }
            finally
            {
                NativeMemory.AlignedFree(workspace);
            }
            return;
        }

        long next = -1;
        KernelsNativeException? failure = null;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            void* workspace = NativeMemory.AlignedAlloc(workspaceBytes, 64);
            try
            {
                for (long item = Interlocked.Increment(ref next); item < items && failure is null; item = Interlocked.Increment(ref next))
                {
                    kn_status status = kernel(item, 1, workspace, workspaceBytes);
                    if (status != kn_status.KN_OK)
                    {
                        // The message lives in this worker's thread-local kn_last_error: capture it here.
                        Interlocked.CompareExchange(ref failure, Native.ExceptionFor(status), null);
                    }
                }
            }
            finally
            {
                NativeMemory.AlignedFree(workspace);
            }
        });
        if (failure is not null)
        {
            throw failure;
        }
    }
}
