using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>All-to-all-V across hosts: point-to-point, so each block crosses once and only to the rank it is for.</summary>
internal sealed unsafe partial class HostHierarchy
{
    /// <summary>Tag of all-to-all blocks on <see cref="_world"/> (Send/Recv use 1..3 there).</summary>
    private const int BlockTag = 4;

    /// <summary>
    /// Blocks for ranks on other hosts go straight to them over MPI (every receive and send started at once, on the world
    /// communicator); blocks for ranks on this host go through the host's shared-memory all-to-all while MPI moves the
    /// others. Each host thus sends each other host exactly the blocks addressed to its ranks. MPI reads and writes only
    /// staging copies (<see cref="NativeScratch"/>): the caller's spans are copied in before and out after.
    /// </summary>
    /// <param name="matrix">Row p: what rank p sends to each rank (agreed by every rank before this runs).</param>
    internal void AllToAllV<T>(CollectiveCall call, T* send, T* receive, long[] matrix, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        int size = Topology.Size, me = Topology.Rank;
        var sendOffsets = new long[size + 1];
        var receiveOffsets = new long[size + 1];
        for (int peer = 0; peer < size; peer++)
        {
            sendOffsets[peer + 1] = sendOffsets[peer] + matrix[me * size + peer];
            receiveOffsets[peer + 1] = receiveOffsets[peer] + matrix[peer * size + me];
        }
        long sending = sendOffsets[size], receiving = receiveOffsets[size];
        T* outgoing = (T*)_outgoing.Get(sending * sizeof(T));
        T* incoming = (T*)_incoming.Get(receiving * sizeof(T));
        new ReadOnlySpan<T>(send, (int)sending).CopyTo(new Span<T>(outgoing, (int)sending));

        (kmpi_dtype type, int wordsPerElement) = MpiWords.Of<T>();
        var sends = new List<(nint, long, int)>();
        var receives = new List<(nint, long, int)>();
        for (int peer = 0; peer < size; peer++)
        {
            if (Topology.HostOf[peer] != Topology.Host)
            {
                sends.Add(((nint)(outgoing + sendOffsets[peer]), matrix[me * size + peer] * wordsPerElement, peer));
                receives.Add(((nint)(incoming + receiveOffsets[peer]), matrix[peer * size + me] * wordsPerElement, peer));
            }
        }
        // MPI's transfers start first; the host's share runs over shared memory meanwhile (the peer hosts' ranks pull
        // their blocks as they poll), then the wait for the blocks between hosts.
        try
        {
            MpiLink.Transfers remote = _world.Start(sends, receives, type, BlockTag);
            ExchangeOnHost(call, outgoing, incoming, matrix, sendOffsets, receiveOffsets, tokens.Token);
            MpiLink.Wait(remote, call.Name, _timeout, tokens.Token);
        }
        catch
        {
            _abandoned = true; // started transfers may still use the scratch, and MPI_Finalize would wait for them
            MpiProcess.MarkAbandoned();
            throw;
        }
        new ReadOnlySpan<T>(incoming, (int)receiving).CopyTo(new Span<T>(receive, (int)receiving));
    }

    /// <summary>The blocks between this host's ranks: packed in local-rank order, exchanged over shared memory, unpacked into
    /// <paramref name="incoming"/> at their senders' positions (MPI writes only the other senders' positions meanwhile).</summary>
    private void ExchangeOnHost<T>(CollectiveCall call, T* outgoing, T* incoming, long[] matrix, long[] sendOffsets, long[] receiveOffsets,
        CancellationToken cancellation) where T : unmanaged
    {
        int size = Topology.Size, me = Topology.Rank;
        int[] members = Topology.Members[Topology.Host];
        int[] sendCounts = [.. members.Select(peer => (int)matrix[me * size + peer])];
        int[] receiveCounts = [.. members.Select(peer => (int)matrix[peer * size + me])];
        var packed = new T[sendCounts.Sum()];
        var unpacked = new T[receiveCounts.Sum()];
        int cursor = 0;
        foreach (int peer in members)
        {
            int length = (int)matrix[me * size + peer];
            new ReadOnlySpan<T>(outgoing + sendOffsets[peer], length).CopyTo(packed.AsSpan(cursor, length));
            cursor += length;
        }
        OnHost(call.Name, () => Local.AllToAllV<T>(packed, sendCounts, unpacked, receiveCounts, cancellation));
        cursor = 0;
        foreach (int peer in members)
        {
            int length = (int)matrix[peer * size + me];
            unpacked.AsSpan(cursor, length).CopyTo(new Span<T>(incoming + receiveOffsets[peer], length));
            cursor += length;
        }
    }
}
