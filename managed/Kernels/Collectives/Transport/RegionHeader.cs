using System.Runtime.InteropServices;
using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Transport;

/// <summary>What a rank's header says about it; peers read it to tell a slow rank from a gone one.</summary>
internal enum RankState
{
    /// <summary>Region not set up yet (all zero).</summary>
    Unset = 0,
    Alive = 1,
    /// <summary>The rank disposed its communicator.</summary>
    Closed = 2,
    /// <summary>A collective failed part-way on the rank; it will not take part in any further step.</summary>
    Faulted = 3,
}

/// <summary>
/// The first 4 KiB of every rank's region, read and written by all ranks of the job through pointers (in-process:
/// plain native memory; between processes: the same bytes in a /dev/shm mapping), so the layout is fixed here.
/// Counters are written only by the owning rank, with release semantics, and read by peers with acquire semantics.
/// The progress counter's cache line holds nothing else but what a peer reads together with it: the inline payload
/// of the smallest collectives (<see cref="InlineDigest0"/>), written just before the counter.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal unsafe struct RegionHeader
{
    internal const int Size = 4096;
    internal const ulong ExpectedMagic = 0x3130_4C4F_4343_4E4B; // "KNCCOL01"
    internal const int LayoutVersion = 2;

    /// <summary>Largest world a region's per-peer tables hold.</summary>
    internal const int MaxRanks = 64;

    [FieldOffset(0)] public ulong Magic;
    [FieldOffset(8)] public int Version;
    [FieldOffset(12)] public int Rank;
    [FieldOffset(16)] public int WorldSize;
    /// <summary>A <see cref="RankState"/>.</summary>
    [FieldOffset(20)] public int State;
    [FieldOffset(24)] public int ProcessId;
    [FieldOffset(32)] public Guid JobId;
    /// <summary>Milliseconds (Environment.TickCount64) of the owner's last sign of life; for transports that cannot see the owner directly.</summary>
    [FieldOffset(48)] public long HeartbeatMilliseconds;
    /// <summary>Bytes of each of the two staging slots, so peers agree on the layout.</summary>
    [FieldOffset(56)] public long SlotBytes;

    /// <summary>(collective sequence &lt;&lt; 32) | step: the last step of the last collective this rank finished. Monotonic.</summary>
    [FieldOffset(64)] public ulong Progress;

    /// <summary>
    /// Collectives of at most <see cref="InlineBytes"/> bytes (<see cref="Algorithms.OneShot"/>) put their descriptor's
    /// digest and their data here, beside the progress counter, before arriving: one cache-line transfer brings a peer
    /// the arrival, the agreement check and the data. Collective s uses the pair s % 2 (a rank cannot start s + 2 before
    /// every peer has arrived at s + 1, which each does only after reading s).
    /// </summary>
    [FieldOffset(72)] public ulong InlineDigest0;
    [FieldOffset(80)] public ulong InlineDigest1;
    [FieldOffset(88)] public fixed byte Inline0[InlineBytes];
    [FieldOffset(104)] public fixed byte Inline1[InlineBytes];

    /// <summary>Most bytes of data a collective carries inline.</summary>
    internal const int InlineBytes = 16;

    /// <summary>Descriptor of collective s is in slot s % 2: a peer may start collective s + 1 while this rank still reads descriptors of s.</summary>
    [FieldOffset(128)] public CollectiveDescriptor Descriptor0;
    [FieldOffset(256)] public CollectiveDescriptor Descriptor1;

    /// <summary>Per destination rank: messages (chunks) this rank has posted in its staging area for it.</summary>
    [FieldOffset(384)] public fixed ulong SentTo[MaxRanks];
    /// <summary>Per source rank: the last chunk from it that this rank has copied out.</summary>
    [FieldOffset(896)] public fixed ulong AckedFrom[MaxRanks];
    /// <summary>Per source rank: the chunk from it that this rank refused because its Recv disagreed.</summary>
    [FieldOffset(1408)] public fixed ulong RejectedFrom[MaxRanks];
    /// <summary>Per destination rank: element count of the message being sent.</summary>
    [FieldOffset(1920)] public fixed long SendCount[MaxRanks];
    /// <summary>Per destination rank: element type tag of the message being sent.</summary>
    [FieldOffset(2432)] public fixed int SendElementTag[MaxRanks];

    internal static int ProgressOffset => 64;
    internal static int SentToOffset(int rank) => 384 + 8 * rank;
    internal static int AckedFromOffset(int rank) => 896 + 8 * rank;
    internal static int RejectedFromOffset(int rank) => 1408 + 8 * rank;

    internal static ref ulong InlineDigestFor(RegionHeader* header, ulong sequence) =>
        ref (sequence & 1) == 0 ? ref header->InlineDigest0 : ref header->InlineDigest1;

    internal static byte* InlineFor(RegionHeader* header, ulong sequence) =>
        (sequence & 1) == 0 ? header->Inline0 : header->Inline1;

    internal static ref CollectiveDescriptor DescriptorFor(RegionHeader* header, ulong sequence) =>
        ref (sequence & 1) == 0 ? ref header->Descriptor0 : ref header->Descriptor1;
}
