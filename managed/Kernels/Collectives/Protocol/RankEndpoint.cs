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

    /// <summary>Per rank: the highest progress value this rank has read in its header (progress only grows).</summary>
    internal readonly ulong[] SeenProgress = new ulong[RegionHeader.MaxRanks];

    /// <summary>Per peer: chunks sent to it / received from it so far (mirrors of the header counters).</summary>
    internal readonly ulong[] ChunksSent = new ulong[RegionHeader.MaxRanks];
    internal readonly ulong[] ChunksReceived = new ulong[RegionHeader.MaxRanks];

    internal RegionHeader* Header(int rank) => Transport.HeaderOf(rank);

    /// <summary>Mask of every rank but this one.</summary>
    internal ulong PeersMask => (Size == 64 ? ulong.MaxValue : (1UL << Size) - 1) & ~(1UL << Rank);

    internal long SlotElements(int elementSize) => Transport.Layout.SlotBytes / elementSize;

    /// <summary>
    /// Most bytes a rank stages per round in the algorithms that stream a message through the slots (two-shot and ring
    /// on user spans, all-gather, reduce-scatter, all-to-all, broadcast): half this core's L2, so a round's pieces are
    /// still in the writer's cache when peers read them and the next round overwrites lines the caches still hold.
    /// Rounds of a whole 4 MiB slot spill to L3 on every hand-over. Measured over 2 processes, the two forms of the same
    /// code alternating in one job (load 4-7): all-gather 8 MiB 0.46-0.72x the time, 256 MiB 0.49-0.94x;
    /// reduce-scatter 8 MiB 0.36-0.65x; all-reduce on spans 8 MiB 0.57-0.85x, 64 MiB 0.75-1.13x, 256 MiB 0.98-1.08x,
    /// 1 MiB (two rounds instead of one) 0.87-1.2x; in separate jobs at load ~4, 512 KiB slots against 4 MiB: 64 MiB
    /// 5.97 against 8.08 ms, 256 MiB 26.9 against 32.4 ms.
    /// </summary>
    internal const long RoundBytes = 512 << 10;

    /// <summary>Elements per round of the streaming algorithms: <see cref="RoundBytes"/>, or the slot when smaller.</summary>
    internal long RoundElements(int elementSize) => Math.Min(Transport.Layout.SlotBytes, RoundBytes) / elementSize;
}
