using System.Diagnostics;
using System.Runtime.Versioning;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>What a rank holds once it has met every peer: the job file, every rank's mapped segment, and who they are.</summary>
[SupportedOSPlatform("linux")]
internal sealed record JoinedJob(SharedMemoryFile JobFile, SharedMemoryFile[] Segments, int[] ProcessIds, long[] StartTimes, Heartbeat Heartbeat);

/// <summary>
/// How the ranks of a shared-memory job meet, knowing only the job id, their rank and the world size:
/// <list type="number">
/// <item>Rank 0 removes crashed jobs' leftovers (<see cref="LeftoverFiles"/>), creates the job file
/// exclusively (0600) and writes world size, layout, its pid and a random job guid, magic last.</item>
/// <item>Every other rank waits for a job file with the magic whose creator is running (a stale one from a crashed
/// job is ignored until rank 0 replaces it) and checks that its own settings agree; if not, it marks its entry
/// Refused so that all ranks fail with the same message instead of timing out.</item>
/// <item>Each rank creates its segment under an unguessable name, initialises the region header, claims its entry
/// (compare-and-swap) and publishes pid, start time and the name's nonce, then Present.</item>
/// <item>When all are Present, each maps every peer's segment, checks its header, and publishes Mapped; when all are
/// Mapped the job is formed (so no rank unlinks its segment before every peer has mapped it).</item>
/// </list>
/// Every wait has the communicator's deadline and watches the peers' processes, so a missing or dead rank gives a
/// <see cref="CollectiveTimeoutException"/> or <see cref="PeerLostException"/> naming it. On failure everything this
/// rank created is removed.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe class SharedMemoryRendezvous
{
    private const int PollMilliseconds = 2;

    private readonly int _rank;
    private readonly int _size;
    private readonly string _jobId;
    private readonly RegionLayout _layout;
    private readonly TimeSpan _timeout;
    private readonly long _deadline;
    private readonly string _operation;
    private readonly SharedMemoryFile?[] _segments;
    private SharedMemoryFile? _jobFile;
    private Heartbeat? _heartbeat;

    private SharedMemoryRendezvous(int rank, int size, string jobId, RegionLayout layout, TimeSpan timeout)
    {
        _rank = rank;
        _size = size;
        _jobId = jobId;
        _layout = layout;
        _timeout = timeout;
        _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _operation = $"joining shared-memory job '{jobId}' as rank {rank} of {size}";
        _segments = new SharedMemoryFile?[size];
    }

    /// <summary>Meets the other ranks of <paramref name="jobId"/>; see the class remarks.</summary>
    internal static JoinedJob Join(int rank, int size, string jobId, RegionLayout layout, TimeSpan timeout)
    {
        var rendezvous = new SharedMemoryRendezvous(rank, size, jobId, layout, timeout);
        try
        {
            return rendezvous.Run();
        }
        catch
        {
            rendezvous.Abandon();
            throw;
        }
    }

    private byte* JobFile => _jobFile!.Pointer;

    private JoinedJob Run()
    {
        long startTime = ProcessLiveness.OwnStartTime();
        _jobFile = _rank == 0 ? CreateJobFile(startTime) : OpenJobFile();
        if (_rank != 0)
        {
            CheckJobSettings();
        }
        Guid jobGuid = JobFileLayout.Header(JobFile)->JobGuid;

        Guid nonce = SharedMemoryNames.NewNonce();
        SharedMemoryFile own = SharedMemoryFile.Create(SharedMemoryNames.Segment(_jobId, _rank, nonce), _layout.TotalBytes);
        _segments[_rank] = own;
        InitializeRegion((RegionHeader*)own.Pointer, jobGuid);
        _heartbeat = new Heartbeat(&((RegionHeader*)own.Pointer)->HeartbeatMilliseconds, _rank);
        Claim(nonce, startTime);

        WaitForAll(JoinState.Present);
        var processIds = new int[_size];
        var startTimes = new long[_size];
        for (int rank = 0; rank < _size; rank++)
        {
            JobFileEntry* entry = JobFileLayout.Entry(JobFile, rank);
            processIds[rank] = entry->ProcessId;
            startTimes[rank] = entry->StartTime;
            if (rank != _rank)
            {
                SharedMemoryFile segment = SharedMemoryFile.Open(SharedMemoryNames.Segment(_jobId, rank, entry->SegmentNonce), _layout.TotalBytes);
                _segments[rank] = segment;
                CheckRegion((RegionHeader*)segment.Pointer, rank, jobGuid, entry->ProcessId);
            }
        }
        Volatile.Write(ref JobFileLayout.Entry(JobFile, _rank)->State, (int)JoinState.Mapped);
        WaitForAll(JoinState.Mapped);
        return new JoinedJob(_jobFile, _segments!, processIds, startTimes, _heartbeat);
    }

    private SharedMemoryFile CreateJobFile(long startTime)
    {
        string path = SharedMemoryNames.JobFile(_jobId);
        // Another rank 0 with the same job id may create the file between the clean-up and the create; the second
        // clean-up then finds it running and refuses.
        LeftoverFiles.RemoveOrphans();
        for (int attempt = 0; ; attempt++)
        {
            LeftoverFiles.RemoveDead(_jobId);
            SharedMemoryFile file;
            try
            {
                file = SharedMemoryFile.Create(path, JobFileLayout.TotalBytes);
            }
            catch (IOException) when (File.Exists(path) && attempt < 3)
            {
                continue;
            }
            JobFileHeader* header = JobFileLayout.Header(file.Pointer);
            header->WorldSize = _size;
            header->SlotBytes = _layout.SlotBytes;
            header->HeapBytes = _layout.HeapBytes;
            header->CreatorProcessId = Environment.ProcessId;
            header->CreatorStartTime = startTime;
            header->JobGuid = Guid.NewGuid();
            Volatile.Write(ref header->Magic, JobFileHeader.ExpectedMagic);
            return file;
        }
    }

    private SharedMemoryFile OpenJobFile()
    {
        string path = SharedMemoryNames.JobFile(_jobId);
        string problem = $"{path} does not exist";
        while (true)
        {
            if (File.Exists(path))
            {
                try
                {
                    SharedMemoryFile file = SharedMemoryFile.Open(path, JobFileLayout.TotalBytes);
                    JobFileHeader* header = JobFileLayout.Header(file.Pointer);
                    if (Volatile.Read(ref header->Magic) != JobFileHeader.ExpectedMagic)
                    {
                        problem = $"{path} is not initialised yet";
                    }
                    else if (!ProcessLiveness.IsRunning(header->CreatorProcessId, header->CreatorStartTime))
                    {
                        problem = $"{path} was left by process {header->CreatorProcessId}, which has exited (rank 0 replaces it)";
                    }
                    else
                    {
                        return file;
                    }
                    file.Dispose();
                }
                catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
                {
                    // Being created (not sized or not chmod-ed yet) or removed meanwhile: look again.
                    problem = e.Message;
                }
            }
            ThrowIfPastDeadline([0], problem);
            Thread.Sleep(PollMilliseconds);
        }
    }

    private void CheckJobSettings()
    {
        JobFileHeader* header = JobFileLayout.Header(JobFile);
        if (_rank >= header->WorldSize)
        {
            throw new CollectiveMismatchException(_operation, "WorldSize", [_rank],
                $"rank {_rank} was started with world size {_size}, but job '{_jobId}' has {header->WorldSize} ranks");
        }
        if (header->WorldSize == _size && header->SlotBytes == _layout.SlotBytes && header->HeapBytes == _layout.HeapBytes)
        {
            return;
        }
        JobFileEntry* entry = JobFileLayout.Entry(JobFile, _rank);
        entry->WorldSize = _size;
        entry->SlotBytes = _layout.SlotBytes;
        entry->HeapBytes = _layout.HeapBytes;
        Interlocked.CompareExchange(ref entry->State, (int)JoinState.Refused, (int)JoinState.Empty);
        throw Refusal(_rank, entry);
    }

    private Exception Refusal(int rank, JobFileEntry* entry)
    {
        JobFileHeader* header = JobFileLayout.Header(JobFile);
        string details = entry->WorldSize != header->WorldSize
            ? $"rank {rank} was started with world size {entry->WorldSize}, rank 0 with {header->WorldSize}"
            : $"rank {rank} has staging slots of {entry->SlotBytes} bytes and a buffer heap of {entry->HeapBytes} bytes, " +
              $"rank 0 {header->SlotBytes} and {header->HeapBytes} (CommunicatorOptions must agree on every rank)";
        return new CollectiveMismatchException(_operation, entry->WorldSize != header->WorldSize ? "WorldSize" : "Layout", [rank], details);
    }

    private void InitializeRegion(RegionHeader* header, Guid jobGuid)
    {
        header->Magic = RegionHeader.ExpectedMagic;
        header->Version = RegionHeader.LayoutVersion;
        header->Rank = _rank;
        header->WorldSize = _size;
        header->ProcessId = Environment.ProcessId;
        header->JobId = jobGuid;
        header->SlotBytes = _layout.SlotBytes;
        header->HeartbeatMilliseconds = Environment.TickCount64;
        header->State = (int)RankState.Alive;
    }

    private void CheckRegion(RegionHeader* header, int rank, Guid jobGuid, int processId)
    {
        if (header->Magic != RegionHeader.ExpectedMagic || header->Version != RegionHeader.LayoutVersion || header->Rank != rank ||
            header->WorldSize != _size || header->JobId != jobGuid || header->SlotBytes != _layout.SlotBytes || header->ProcessId != processId)
        {
            throw new InvalidDataException(
                $"{_operation}: the segment of rank {rank} does not describe rank {rank} of this job (magic, version, rank, world size, job, slot size or pid differ).");
        }
    }

    private void Claim(Guid nonce, long startTime)
    {
        JobFileEntry* entry = JobFileLayout.Entry(JobFile, _rank);
        int previous = Interlocked.CompareExchange(ref entry->State, (int)JoinState.Claimed, (int)JoinState.Empty);
        if (previous != (int)JoinState.Empty)
        {
            throw new InvalidOperationException(
                $"{_operation}: rank {_rank} is already taken (by process {entry->ProcessId}); two processes were started with the same rank.");
        }
        entry->ProcessId = Environment.ProcessId;
        entry->StartTime = startTime;
        entry->SegmentNonce = nonce;
        Volatile.Write(ref entry->State, (int)JoinState.Present);
    }

    /// <summary>Waits until every rank's entry has reached <paramref name="state"/>, watching for refusals and dead processes.</summary>
    private void WaitForAll(JoinState state)
    {
        JobFileHeader* header = JobFileLayout.Header(JobFile);
        while (true)
        {
            var missing = new List<int>();
            for (int rank = 0; rank < _size; rank++)
            {
                JobFileEntry* entry = JobFileLayout.Entry(JobFile, rank);
                var current = (JoinState)Volatile.Read(ref entry->State);
                if (current == JoinState.Refused)
                {
                    throw Refusal(rank, entry);
                }
                if (current < state)
                {
                    missing.Add(rank);
                }
            }
            if (missing.Count == 0)
            {
                return;
            }
            foreach (int rank in missing)
            {
                JobFileEntry* entry = JobFileLayout.Entry(JobFile, rank);
                (int processId, long startTime) = rank == 0
                    ? (header->CreatorProcessId, header->CreatorStartTime)
                    : ((JoinState)Volatile.Read(ref entry->State) >= JoinState.Present ? (entry->ProcessId, entry->StartTime) : (0, 0));
                if (processId != 0 && !ProcessLiveness.IsRunning(processId, startTime))
                {
                    throw new PeerLostException(_operation, [rank], $"rank {rank}'s process {processId} exited while joining");
                }
            }
            ThrowIfPastDeadline(missing, $"waiting for rank(s) {string.Join(", ", missing)} to reach {state}");
            Thread.Sleep(PollMilliseconds);
        }
    }

    private void ThrowIfPastDeadline(IReadOnlyList<int> missing, string problem)
    {
        if (Stopwatch.GetTimestamp() > _deadline)
        {
            throw new CollectiveTimeoutException($"{_operation} ({problem})", missing, _timeout);
        }
    }

    /// <summary>Undoes a failed join: stops the heartbeat, unmaps everything, removes what this rank created.</summary>
    private void Abandon()
    {
        _heartbeat?.Dispose();
        foreach (SharedMemoryFile? segment in _segments)
        {
            segment?.Dispose();
        }
        if (_segments[_rank] is { } own)
        {
            File.Delete(own.Path);
        }
        if (_jobFile is { } jobFile)
        {
            jobFile.Dispose();
            if (_rank == 0)
            {
                File.Delete(jobFile.Path);
            }
        }
    }
}
