using System.Runtime.Versioning;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>
/// Symmetric memory between processes on one host: each rank's region is a file under /dev/shm (mode 0600, name
/// with a random nonce) that every rank maps shared, so peers read and write it by pointer exactly as in-process
/// ranks do. Ranks meet through <see cref="SharedMemoryRendezvous"/>; loss of a peer is seen from its header state,
/// its process (gone, zombie, or pid reused: <see cref="ProcessLiveness"/>) and its heartbeat.
/// </summary>
/// <remarks>
/// Disposal unlinks this rank's segment (peers keep their mappings, so one still copying out of it is unaffected),
/// the segments of peers whose processes are dead (they cannot do it themselves), and the job file when this is rank
/// 0 or rank 0 is dead. What a job killed as a whole leaves behind is removed by the launcher that started it, by the
/// next job with the same id, or as an orphan by the next job's rank 0 (<see cref="LeftoverFiles"/>).
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class SharedMemoryJob : SymmetricTransport
{
    /// <summary>Peers' processes are checked at most this often: a wait asks for every spin, /proc costs a file read.</summary>
    private const int LivenessCheckMilliseconds = 20;

    private readonly JoinedJob _job;
    private readonly nint[] _regions;
    private readonly long[] _nextLivenessCheck;
    /// <summary>Peers whose process has been seen gone; a dead process stays dead, so this needs no re-check.</summary>
    private readonly bool[] _exited;
    private int _disposed;

    private SharedMemoryJob(int rank, int size, RegionLayout layout, JoinedJob job) : base(rank, size, layout)
    {
        _job = job;
        _regions = job.Segments.Select(segment => (nint)segment.Pointer).ToArray();
        _nextLivenessCheck = new long[size];
        _exited = new bool[size];
    }

    /// <summary>Joins job <paramref name="jobId"/> as <paramref name="rank"/> of <paramref name="size"/>; returns once every rank has.</summary>
    /// <exception cref="CollectiveTimeoutException">Some rank did not join within <paramref name="timeout"/>.</exception>
    /// <exception cref="PeerLostException">A rank's process exited while joining.</exception>
    /// <exception cref="CollectiveMismatchException">The ranks' world sizes or layouts differ.</exception>
    /// <exception cref="InvalidOperationException">The job id is in use by running processes, or the rank is taken.</exception>
    internal static SharedMemoryJob Join(int rank, int size, string jobId, RegionLayout layout, TimeSpan timeout) =>
        new(rank, size, layout, SharedMemoryRendezvous.Join(rank, size, jobId, layout, timeout));

    internal override byte* RegionOf(int rank) => (byte*)_regions[rank];

    internal override bool IsLost(int rank, out string reason)
    {
        if (rank == Rank)
        {
            return base.IsLost(rank, out reason);
        }
        if (_exited[rank])
        {
            reason = ExitedReason(rank);
            return true;
        }
        if (base.IsLost(rank, out reason))
        {
            // A peer that failed or left has usually done so because another rank died. Look for dead ranks now: if
            // one is found, report nothing this time, so that the wait's next scan (microseconds later) names the
            // dead rank together with this one; if the dead rank is not among those awaited, the reason names it.
            if (MarkExitedPeers())
            {
                reason = "";
                return false;
            }
            string exited = string.Join("; ", Enumerable.Range(0, Size).Where(peer => _exited[peer]).Select(ExitedReason));
            reason = exited.Length == 0 ? reason : $"{reason}; {exited}";
            return true;
        }
        long now = Environment.TickCount64;
        if (now < _nextLivenessCheck[rank])
        {
            return false;
        }
        _nextLivenessCheck[rank] = now + LivenessCheckMilliseconds;
        if (!ProcessLiveness.IsRunning(_job.ProcessIds[rank], _job.StartTimes[rank]))
        {
            _exited[rank] = true;
            reason = ExitedReason(rank);
            return true;
        }
        long heartbeat = Volatile.Read(ref HeaderOf(rank)->HeartbeatMilliseconds);
        if (Heartbeat.IsStale(heartbeat))
        {
            reason = $"rank {rank}'s process {_job.ProcessIds[rank]} has shown no sign of life for {now - heartbeat} ms (stopped or hung)";
            return true;
        }
        return false;
    }

    private string ExitedReason(int rank) => $"rank {rank}'s process {_job.ProcessIds[rank]} has exited";

    /// <summary>Checks every peer's process now, unthrottled; true when one not known to have exited has.</summary>
    private bool MarkExitedPeers()
    {
        bool found = false;
        for (int peer = 0; peer < Size; peer++)
        {
            if (peer != Rank && !_exited[peer] && !ProcessLiveness.IsRunning(_job.ProcessIds[peer], _job.StartTimes[peer]))
            {
                _exited[peer] = true;
                found = true;
            }
        }
        return found;
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _job.Heartbeat.Dispose();
        for (int rank = 0; rank < Size; rank++)
        {
            _job.Segments[rank].Dispose();
            if (rank == Rank || _exited[rank] || !ProcessLiveness.IsRunning(_job.ProcessIds[rank], _job.StartTimes[rank]))
            {
                File.Delete(_job.Segments[rank].Path);
            }
        }
        _job.JobFile.Dispose();
        if (Rank == 0 || !ProcessLiveness.IsRunning(_job.ProcessIds[0], _job.StartTimes[0]))
        {
            File.Delete(_job.JobFile.Path);
        }
    }
}
