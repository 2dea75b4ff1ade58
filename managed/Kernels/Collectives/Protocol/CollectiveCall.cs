using Kernels.Collectives.Transport;

namespace Kernels.Collectives.Protocol;

/// <summary>
/// One collective in progress on one rank: publishes this rank's steps and waits for peers' steps.
/// </summary>
/// <remarks>
/// Synchronisation protocol: each rank has one monotonic progress counter, <c>(sequence &lt;&lt; 32) | step</c>.
/// All ranks run the same collectives in the same order (so agree on <c>sequence</c>) and the same algorithm (so
/// agree on what each step means); "rank p finished step s of collective c" is "p's counter &gt;= (c, s)". Step 0 is
/// arrival: the descriptor is written first, then the counter, so a peer that sees the arrival sees the descriptor.
/// A rank skips steps it has no part in by publishing a later value. Staging slots are reused only once every peer
/// has passed the step after which it no longer reads them (<see cref="AcquireSlot"/>).
/// </remarks>
internal sealed unsafe class CollectiveCall(
    RankEndpoint endpoint, ulong sequence, string name, CancellationToken cancellation, CancellationToken disposal)
{
    internal RankEndpoint Endpoint { get; } = endpoint;
    internal ulong Sequence { get; } = sequence;
    internal string Name { get; } = name;
    internal int Rank => Endpoint.Rank;
    internal int Size => Endpoint.Size;
    internal SymmetricTransport Transport => Endpoint.Transport;
    /// <summary>The caller's token, for transports that wait outside <see cref="PeerWait"/> (MPI between hosts).</summary>
    internal CancellationToken Cancellation => cancellation;
    /// <summary>Cancelled when the communicator is disposed.</summary>
    internal CancellationToken Disposal => disposal;

    internal ulong ValueAt(uint step) => (Sequence << 32) | step;

    internal void Publish(uint step) => Volatile.Write(ref Endpoint.Header(Rank)->Progress, ValueAt(step));

    /// <summary>Waits until every peer has published <paramref name="step"/> of this collective.</summary>
    internal void WaitAll(uint step) => WaitFor(Endpoint.PeersMask, step);

    internal void WaitFor(int rank, uint step)
    {
        if (rank != Rank)
        {
            WaitFor(1UL << rank, step);
        }
    }

    internal void WaitFor(ulong ranks, uint step)
    {
        if (ranks != 0)
        {
            PeerWait.Until(Endpoint, ranks, RegionHeader.ProgressOffset, ValueAt(step),
                new WaitCause(Name, Sequence, step), cancellation, disposal);
        }
    }

    /// <summary>
    /// Step 0: announces <paramref name="mine"/>, waits for every peer's arrival and checks that all descriptors agree.
    /// Returns every rank's descriptor (peers' buffer offsets are in them, already bounds-checked).
    /// </summary>
    /// <exception cref="CollectiveMismatchException">The ranks disagree; every rank throws the same.</exception>
    internal CollectiveDescriptor[] Arrive(CollectiveDescriptor mine)
    {
        mine.Sequence = Sequence;
        RegionHeader.DescriptorFor(Endpoint.Header(Rank), Sequence) = mine;
        Publish(0);
        WaitAll(0);
        return VerifiedDescriptors();
    }

    /// <summary>Every rank's descriptor of this collective, compared (<see cref="DescriptorCheck"/>); call after every rank arrived.</summary>
    private CollectiveDescriptor[] VerifiedDescriptors()
    {
        var all = new CollectiveDescriptor[Size];
        for (int rank = 0; rank < Size; rank++)
        {
            all[rank] = RegionHeader.DescriptorFor(Endpoint.Header(rank), Sequence);
        }
        DescriptorCheck.Verify(all, this);
        return all;
    }

    /// <summary>
    /// Step 0 for a collective of at most <see cref="RegionHeader.InlineBytes"/> bytes: writes <paramref name="data"/>
    /// and the descriptor's digest beside this rank's progress counter, arrives, and checks the peers' digests; only when
    /// one differs are the full descriptors compared (for the message). The descriptor is written in full too, so a peer
    /// that took the regular <see cref="Arrive"/> (a different count) finds it. Peers' data: <see cref="InlineOf"/>.
    /// </summary>
    /// <exception cref="CollectiveMismatchException">The ranks disagree; every rank throws the same.</exception>
    internal void ArriveInline(CollectiveDescriptor mine, byte* data, int bytes)
    {
        mine.Sequence = Sequence;
        RegionHeader* header = Endpoint.Header(Rank);
        RegionHeader.DescriptorFor(header, Sequence) = mine;
        ulong digest = mine.Digest();
        RegionHeader.InlineDigestFor(header, Sequence) = digest;
        Buffer.MemoryCopy(data, RegionHeader.InlineFor(header, Sequence), RegionHeader.InlineBytes, bytes);
        Publish(0);
        WaitAll(0);
        for (int rank = 0; rank < Size; rank++)
        {
            if (Volatile.Read(ref RegionHeader.InlineDigestFor(Endpoint.Header(rank), Sequence)) != digest)
            {
                VerifiedDescriptors();
                throw new InvalidOperationException(
                    $"{Name} #{Sequence}: rank {rank}'s inline digest differs while every descriptor agrees (a protocol fault).");
            }
        }
    }

    /// <summary>Where <paramref name="rank"/> put its inline data for this collective (valid after <see cref="ArriveInline"/>).</summary>
    internal byte* InlineOf(int rank) => RegionHeader.InlineFor(Endpoint.Header(rank), Sequence);

    /// <summary>
    /// The staging slot of <paramref name="round"/>, once every peer has finished reading what this rank last put
    /// there. Slots alternate by (sequence + round), which all ranks agree on even after a mismatch.
    /// </summary>
    internal int AcquireSlot(long round)
    {
        int slot = (int)((Sequence + (ulong)round) & 1);
        WaitForValue(Endpoint.SlotReleasedAt[slot]);
        return slot;
    }

    /// <summary>Records that peers are done with <paramref name="slot"/> once they have published <paramref name="step"/> of this collective.</summary>
    internal void ReleaseSlotAfter(int slot, uint step) => Endpoint.SlotReleasedAt[slot] = ValueAt(step);

    /// <summary>Waits until peers are done with both slots (before Send writes the whole staging area).</summary>
    internal void AcquireWholeStaging() =>
        WaitForValue(Math.Max(Endpoint.SlotReleasedAt[0], Endpoint.SlotReleasedAt[1]));

    /// <summary>Waits on a point-to-point counter of <paramref name="rank"/>; false when the peer rejected <paramref name="target"/>.</summary>
    internal bool WaitForCounter(int rank, int counterOffset, ulong target, int rejectionOffset = -1) =>
        PeerWait.Until(Endpoint, 1UL << rank, counterOffset, target, new WaitCause(Name, 0, 0),
            cancellation, disposal, rejectionOffset);

    private void WaitForValue(ulong progress)
    {
        if (progress != 0)
        {
            PeerWait.Until(Endpoint, Endpoint.PeersMask, RegionHeader.ProgressOffset, progress,
                new WaitCause($"{Name} (waiting for peers to release staging)", Sequence, 0), cancellation, disposal);
        }
    }
}
