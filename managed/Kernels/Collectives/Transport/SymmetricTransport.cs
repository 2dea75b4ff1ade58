namespace Kernels.Collectives.Transport;

/// <summary>
/// One rank's access to a job's symmetric memory: every rank owns a region laid out by <see cref="RegionLayout"/>
/// and can read and write every other rank's region by pointer. Algorithms see only this; in-process ranks share
/// native allocations, processes on one host share /dev/shm mappings.
/// </summary>
internal abstract unsafe class SymmetricTransport : IDisposable
{
    protected SymmetricTransport(int rank, int size, RegionLayout layout)
    {
        Rank = rank;
        Size = size;
        Layout = layout;
    }

    internal int Rank { get; }
    internal int Size { get; }
    internal RegionLayout Layout { get; }

    /// <summary>Base address of <paramref name="rank"/>'s region in this rank's address space.</summary>
    internal abstract byte* RegionOf(int rank);

    internal RegionHeader* HeaderOf(int rank) => (RegionHeader*)RegionOf(rank);

    internal byte* SlotOf(int rank, int slot) => RegionOf(rank) + Layout.SlotOffset(slot);

    internal byte* HeapOf(int rank) => RegionOf(rank) + Layout.HeapOffset;

    /// <summary>
    /// Whether <paramref name="rank"/> is known gone, and why. The header state covers ranks that closed or failed;
    /// transports between processes add process liveness. Called often while waiting, so implementations throttle
    /// anything costlier than a memory read.
    /// </summary>
    internal virtual bool IsLost(int rank, out string reason)
    {
        var state = (RankState)Volatile.Read(ref HeaderOf(rank)->State);
        reason = state switch
        {
            RankState.Closed => $"rank {rank} disposed its communicator",
            RankState.Faulted => $"rank {rank} failed in a collective",
            _ => "",
        };
        return state is RankState.Closed or RankState.Faulted;
    }

    /// <summary>Records this rank's state in its header for peers to see.</summary>
    internal void Publish(RankState state) => Volatile.Write(ref HeaderOf(Rank)->State, (int)state);

    /// <summary>Gives up this rank's use of the job's memory; memory a peer may still read stays valid for it.</summary>
    public abstract void Dispose();
}
