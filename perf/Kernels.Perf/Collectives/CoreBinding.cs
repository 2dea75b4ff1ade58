using System.Numerics;
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
/// <remarks>
/// A process that mpirun already bound to one core stays there: binding to core <c>rank % Environment.ProcessorCount</c>
/// (what this did before) saw a processor count of 1 under mpirun and moved every rank's thread onto core 0, so both
/// ranks shared one core (8 B all-reduce 12 µs instead of 1.2 µs, MPI's busy-polling calls 1-3 ms).
/// </remarks>
internal static class CoreBinding
{
    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpuSetSize, ref ulong mask);

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpuSetSize, out ulong mask);

    /// <summary>
    /// Binds to the (rank mod n)-th of the n cores this thread may run on, unless it may run on one core only (a launcher
    /// bound the process); false (and unbound) where that is not possible.
    /// </summary>
    public static bool BindCurrentThread(int rank)
    {
        if (!OperatingSystem.IsLinux() || sched_getaffinity(0, sizeof(ulong), out ulong allowed) != 0 || allowed == 0)
        {
            return false;
        }
        int cores = BitOperations.PopCount(allowed);
        if (cores == 1)
        {
            return true;
        }
        ulong remaining = allowed;
        for (int skip = rank % cores; skip > 0; skip--)
        {
            remaining &= remaining - 1;
        }
        ulong mask = remaining & ~(remaining - 1);
        return sched_setaffinity(0, sizeof(ulong), ref mask) == 0;
    }
}
