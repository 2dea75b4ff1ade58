using System.Runtime.InteropServices;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// MPI's process-wide state as the hierarchical communicator needs it: initialised once (unless the host program
/// already did), every shim call serialised by <see cref="Lock"/> (MPI may give less than MPI_THREAD_MULTIPLE, and
/// async collectives run on a communicator's worker thread while sync ones run on the caller's), and finalised at
/// process exit when this library initialised it and no operation was abandoned, within a bound (see <see cref="Finalise"/>).
/// </summary>
internal static class MpiProcess
{
    /// <summary>Held around every call into the shim.</summary>
    internal static readonly object Lock = new();

    /// <summary>How long process exit waits for MPI_Finalize.</summary>
    private static readonly TimeSpan FinaliseBound = TimeSpan.FromSeconds(10);

    private static bool _initialisedHere;
    private static bool _abandoned;

    /// <exception cref="InvalidOperationException">libkernels_mpi is missing or MPI fails to initialise.</exception>
    internal static unsafe void EnsureInitialised()
    {
        lock (Lock)
        {
            if (!MpiShimLibrary.Library.IsLoaded)
            {
                throw new InvalidOperationException(
                    $"The ranks span several hosts, which needs libkernels_mpi for this process's MPI: {MpiShimLibrary.Library.Description}.");
            }
            if (MpiShimMethods.kmpi_is_initialized() == 1)
            {
                return;
            }
            kmpi_thread_level provided;
            MpiStatus.Check(MpiShimMethods.kmpi_init(kmpi_thread_level.KMPI_THREAD_SERIALIZED, &provided), "kmpi_init");
            if (provided < kmpi_thread_level.KMPI_THREAD_SERIALIZED)
            {
                throw new InvalidOperationException($"MPI gives thread level {provided}; the communicator needs KMPI_THREAD_SERIALIZED.");
            }
            _initialisedHere = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Finalise();
            if (CommunicatorSettings.FromProcessEnvironment(null).Debug)
            {
                // Which of the per-implementation shims (and so which MPI) this process runs on: the MPI tests check it.
                Console.Error.WriteLine($"[kn] MPI: {MpiShimLibrary.Library.File}, {Marshal.PtrToStringUTF8((IntPtr)MpiShimMethods.kmpi_library_version())}");
            }
        }
    }

    /// <summary>An operation was given up on (deadline, cancellation): MPI_Finalize could wait for it forever, so it is skipped.</summary>
    internal static void MarkAbandoned()
    {
        lock (Lock)
        {
            _abandoned = true;
        }
    }

    /// <summary>
    /// MPI_Finalize synchronises with the other processes (Open MPI: a PMIx fence), so it waits forever for a peer that
    /// died or stopped without this process having noticed: it runs on a background thread given
    /// <see cref="FinaliseBound"/>, after which the process exits without it.
    /// </summary>
    private static void Finalise()
    {
        var finalising = new Thread(() =>
        {
            lock (Lock)
            {
                if (_initialisedHere && !_abandoned)
                {
                    MpiShimMethods.kmpi_finalize();
                }
            }
        })
        { IsBackground = true, Name = "kn-mpi-finalize" };
        finalising.Start();
        finalising.Join(FinaliseBound);
    }
}
