using System.Runtime.InteropServices;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>How far a rank has got in joining the job; entries only move forward.</summary>
internal enum JoinState
{
    Empty = 0,
    /// <summary>A process took the rank (compare-and-swap from Empty, so two processes cannot both take it).</summary>
    Claimed = 1,
    /// <summary>Its segment exists, is sized and initialised; pid, start time and nonce are set.</summary>
    Present = 2,
    /// <summary>It has mapped every peer's segment: from now on it no longer needs the segment files' names.</summary>
    Mapped = 3,
    /// <summary>Its settings disagree with the job's (values in the entry); every rank fails to join.</summary>
    Refused = 4,
}

/// <summary>
/// The job file's header, written by rank 0 before anyone else opens the file; <see cref="Magic"/> last, so a rank
/// that sees the magic sees the rest.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct JobFileHeader
{
    internal const int Size = 64;
    internal const ulong ExpectedMagic = 0x3130_424F_4A4D_4853; // "SHMJOB01"

    [FieldOffset(0)] public ulong Magic;
    [FieldOffset(12)] public int WorldSize;
    [FieldOffset(16)] public long SlotBytes;
    [FieldOffset(24)] public long HeapBytes;
    [FieldOffset(32)] public int CreatorProcessId;
    [FieldOffset(40)] public long CreatorStartTime;
    /// <summary>Random per job incarnation; every rank stamps it into its region header, so a segment of another job is never taken for a peer's.</summary>
    [FieldOffset(48)] public Guid JobGuid;
}

/// <summary>One rank's line in the job file, written only by the process that claimed the rank.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct JobFileEntry
{
    internal const int Size = 64;

    /// <summary>A <see cref="JoinState"/>.</summary>
    [FieldOffset(0)] public int State;
    [FieldOffset(4)] public int ProcessId;
    [FieldOffset(8)] public long StartTime;
    /// <summary>The random part of the rank's segment name.</summary>
    [FieldOffset(16)] public Guid SegmentNonce;
    /// <summary>The rank's own settings, for the message when it refused the job's.</summary>
    [FieldOffset(32)] public int WorldSize;
    [FieldOffset(40)] public long SlotBytes;
    [FieldOffset(48)] public long HeapBytes;
}

/// <summary>The job file: [header][one entry per possible rank].</summary>
internal static unsafe class JobFileLayout
{
    internal const long TotalBytes = JobFileHeader.Size + RegionHeader.MaxRanks * JobFileEntry.Size;

    internal static JobFileHeader* Header(byte* file) => (JobFileHeader*)file;

    internal static JobFileEntry* Entry(byte* file, int rank) => (JobFileEntry*)(file + JobFileHeader.Size + rank * JobFileEntry.Size);
}
