using System.Runtime.InteropServices;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Binds the calling thread (the rank's collective thread) to one core, as <c>mpirun</c> binds each MPI rank to its
/// own core by default at 2 ranks, so that both contenders run under the same placement. Unbound, the scheduler of this
/// loaded 2-core machine sometimes kept both rank processes on one core for a whole sweep: every wait then spun out its
/// spin budget before yielding to the peer it was waiting for (8 B all-reduce with a 50 µs budget: 52.5 µs in every case
/// of such a run, 0.5 µs bound; with 10 µs, 7-12 µs unbound vs 0.3-0.5 µs bound; 1 MiB user spans 54-194 µs unbound vs
/// 44-46 µs bound, in the same minute).
/// </summary>
internal static class CoreBinding
{
    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpuSetSize, ref ulong mask);

    /// <summary>Binds to core <c>rank % cores</c>; false (and unbound) where that is not possible.</summary>
    public static bool BindCurrentThread(int rank)
    {
        int core = rank % Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux() || core >= 64)
        {
            return false;
        }
        ulong mask = 1UL << core;
        return sched_setaffinity(0, sizeof(ulong), ref mask) == 0;
    }
}
