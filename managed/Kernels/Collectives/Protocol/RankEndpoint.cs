using Kernels.Collectives.Transport;

namespace Kernels.Collectives.Protocol;

/// <summary>
/// One rank's protocol state over its transport: the collective sequence number, which staging slot comes next and
/// when peers have finished reading each slot, and the point-to-point counters. Owned by one communicator and used
/// by one thread at a time (the communicator serialises calls).
/// </summary>
internal sealed unsafe class RankEndpoint(SymmetricTransport transport, TimeSpan timeout)
{
    internal SymmetricTransport Transport { get; } = transport;
    internal int Rank => Transport.Rank;
    internal int Size => Transport.Size;
    internal TimeSpan Timeout { get; } = timeout;

    /// <summary>Sequence number of the last collective started; the next one is this plus one (so 0 means none).</summary>
    internal ulong LastSequence;

    /// <summary>Per slot: the progress value every peer must reach before this rank may overwrite the slot.</summary>
    internal readonly ulong[] SlotReleasedAt = new ulong[2];

    /// <summary>Per peer: chunks sent to it / received from it so far (mirrors of the header counters).</summary>
    internal readonly ulong[] ChunksSent = new ulong[RegionHeader.MaxRanks];
    internal readonly ulong[] ChunksReceived = new ulong[RegionHeader.MaxRanks];

    internal RegionHeader* Header(int rank) => Transport.HeaderOf(rank);

    /// <summary>Mask of every rank but this one.</summary>
    internal ulong PeersMask => (Size == 64 ? ulong.MaxValue : (1UL << Size) - 1) & ~(1UL << Rank);

    internal long SlotElements(int elementSize) => Transport.Layout.SlotBytes / elementSize;
}
