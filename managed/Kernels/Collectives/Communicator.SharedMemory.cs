using Kernels.Collectives.Transport;
using Kernels.Collectives.Transport.SharedMemory;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>
    /// Joins a job of processes on this host over shared memory, as the rank the environment names:
    /// <c>KN_RANK</c>, <c>KN_WORLD_SIZE</c> and <c>KN_JOB</c> (set by <c>kernels-perf launch</c> and
    /// <see cref="LocalLauncher"/>); else, under Open MPI's mpirun, <c>OMPI_COMM_WORLD_RANK</c>/<c>OMPI_COMM_WORLD_SIZE</c>
    /// with <c>KN_JOB</c> or Open MPI's job id; else <c>PMI_RANK</c>/<c>PMI_SIZE</c> with <c>KN_JOB</c>.
    /// Returns once every rank has joined; see <see cref="CreateSharedMemory"/>.
    /// </summary>
    /// <remarks>
    /// Under mpirun (or Hydra) with ranks on several hosts, the communicator is hierarchical: the ranks of each host share a
    /// shared-memory communicator, and the traffic between hosts goes through MPI (libkernels_mpi). Rank and size are MPI's;
    /// the API and the matching rules are the same (see the Collectives README for the algorithms and reduction order).
    /// <c>KN_SIMULATED_HOSTS</c> (a host count, or one label per rank such as <c>0,1,0</c>) makes the ranks of one machine
    /// behave as separate hosts, for tests and experiments.
    /// </remarks>
    /// <exception cref="ArgumentException">A variable is missing or invalid (the message names it), or more than <see cref="MaxSize"/> ranks share a host.</exception>
    /// <exception cref="InvalidOperationException">The ranks span hosts but libkernels_mpi is missing or MPI fails to start.</exception>
    /// <inheritdoc cref="CreateSharedMemory" path="/exception"/>
    public static Communicator FromEnvironment(CommunicatorOptions? options = null)
    {
        RankEnvironment environment = RankEnvironment.Read(Environment.GetEnvironmentVariable);
        if (environment.SpansHosts)
        {
            return CreateHierarchical(environment, environment.SimulatedHosts, options);
        }
        return CreateSharedMemory(environment.Rank, environment.Size, environment.JobId, options);
    }

    /// <summary>
    /// Joins job <paramref name="jobId"/> of <paramref name="size"/> processes on this host as <paramref name="rank"/>:
    /// each rank's staging slots and buffer heap live in a segment under /dev/shm (mode 0600, unguessable name) that
    /// every rank maps, so <see cref="AllocateBuffer{T}(int)"/> buffers are shared memory and collectives on them copy
    /// nothing. Blocks until every rank has joined (at most <see cref="CommunicatorOptions.Timeout"/>). Every rank must
    /// pass the same size, job id, <see cref="CommunicatorOptions.StagingSlotBytes"/> and
    /// <see cref="CommunicatorOptions.BufferHeapBytes"/>. Leftover files of a crashed earlier job with the same id are
    /// removed; <see cref="Dispose"/> removes this rank's files, also after a failure.
    /// </summary>
    /// <param name="rank">This process's rank, 0 .. <paramref name="size"/> - 1.</param>
    /// <param name="size">Number of processes, 1..<see cref="MaxSize"/>.</param>
    /// <param name="jobId">Names the job's files: 1..64 of [A-Za-z0-9_-]; use a fresh random id per job.</param>
    /// <param name="options">Settings; unset values come from the environment, then defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> or <paramref name="size"/> is out of range, or an option is.</exception>
    /// <exception cref="ArgumentException"><paramref name="jobId"/> is not a valid job id, or <c>KN_ALGO</c>/<c>KN_TIMEOUT_MS</c> is invalid.</exception>
    /// <exception cref="CollectiveTimeoutException">Some rank did not join in time (named).</exception>
    /// <exception cref="PeerLostException">A rank's process exited while joining (named).</exception>
    /// <exception cref="CollectiveMismatchException">Ranks were started with different world sizes or layouts.</exception>
    /// <exception cref="InvalidOperationException">Running processes use this job id, or another process took this rank.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public static Communicator CreateSharedMemory(int rank, int size, string jobId, CommunicatorOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, size);
        ArgumentNullException.ThrowIfNull(jobId);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The shared-memory transport needs Linux (/dev/shm and /proc).");
        }
        SharedMemoryNames.CheckJobId(jobId, nameof(jobId));
        CommunicatorSettings settings = CommunicatorSettings.FromProcessEnvironment(options);
        var layout = RegionLayout.For(settings.SlotBytes, settings.HeapBytes);
        return new Communicator(SharedMemoryJob.Join(rank, size, jobId, layout, settings.Timeout), settings);
    }
}
