using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>Send/Recv: over shared memory to a peer on this host, else over MPI with a header and an answer.</summary>
internal sealed unsafe partial class HostHierarchy
{
    private const int HeaderTag = 1, AnswerTag = 2, DataTag = 3;
    private const long ChunkBytes = 1L << 30;

    /// <summary>True when <paramref name="peer"/> is on this host: Send/Recv then run over shared memory, as local rank <paramref name="localPeer"/>.</summary>
    internal bool IsLocal(int peer, out int localPeer)
    {
        localPeer = Topology.LocalRankOf[peer];
        return Topology.HostOf[peer] == Topology.Host;
    }

    /// <summary>
    /// Send to a peer on another host: a header (count, element size and type), the receiver's answer (accepted or not, so both
    /// sides throw the same mismatch), then the data in chunks of at most 1 GiB; returns once MPI has sent it all.
    /// </summary>
    internal void Send(CollectiveCall call, int peer, byte* data, long count, int elementSize, int elementTag)
    {
        using CancellationTokenSource tokens = Tokens(call);
        long* header = (long*)_headers.Get(6 * sizeof(long));
        long* answer = header + 3;
        header[0] = count;
        header[1] = elementSize;
        header[2] = elementTag;
        Guard(() => _world.Exchange(call.Name, header, 3 * sizeof(long), peer, HeaderTag, answer, 3 * sizeof(long), peer, AnswerTag, _timeout, tokens.Token));
        if (answer[0] != 1)
        {
            throw PointToPointMismatch(call.Name, peer, answer[1], (int)answer[2], count, elementTag);
        }
        long bytes = count * elementSize;
        byte* staged = _whole.Get(Math.Min(bytes, ChunkBytes));
        for (long offset = 0; offset < bytes; offset += ChunkBytes)
        {
            long chunk = Math.Min(ChunkBytes, bytes - offset);
            new ReadOnlySpan<byte>(data + offset, (int)chunk).CopyTo(new Span<byte>(staged, (int)chunk));
            Guard(() => _world.Exchange(call.Name, staged, chunk, peer, DataTag, null, 0, 0, 0, _timeout, tokens.Token));
        }
    }

    /// <summary>Receive from a peer on another host; the sender's header is checked before anything is written to <paramref name="data"/>.</summary>
    internal void Receive(CollectiveCall call, int peer, byte* data, long count, int elementSize, int elementTag)
    {
        using CancellationTokenSource tokens = Tokens(call);
        long* header = (long*)_headers.Get(6 * sizeof(long));
        long* answer = header + 3;
        Guard(() => _world.Exchange(call.Name, null, 0, 0, 0, header, 3 * sizeof(long), peer, HeaderTag, _timeout, tokens.Token));
        bool accepted = header[0] == count && header[1] == elementSize && header[2] == elementTag;
        answer[0] = accepted ? 1 : 0;
        answer[1] = count;
        answer[2] = elementTag;
        Guard(() => _world.Exchange(call.Name, answer, 3 * sizeof(long), peer, AnswerTag, null, 0, 0, 0, _timeout, tokens.Token));
        if (!accepted)
        {
            throw PointToPointMismatch(call.Name, peer, header[0], (int)header[2], count, elementTag);
        }
        long bytes = count * elementSize;
        byte* staged = _whole.Get(Math.Min(bytes, ChunkBytes));
        for (long offset = 0; offset < bytes; offset += ChunkBytes)
        {
            long chunk = Math.Min(ChunkBytes, bytes - offset);
            Guard(() => _world.Exchange(call.Name, null, 0, 0, 0, staged, chunk, peer, DataTag, _timeout, tokens.Token));
            new ReadOnlySpan<byte>(staged, (int)chunk).CopyTo(new Span<byte>(data + offset, (int)chunk));
        }
    }

    private static CollectiveMismatchException PointToPointMismatch(string operation, int peer, long peerCount, int peerTag, long count, int tag) =>
        peerTag != tag
            ? new CollectiveMismatchException(operation, "ElementType", [peer], $"rank {peer} has tag 0x{peerTag:X8}, this rank 0x{tag:X8}")
            : new CollectiveMismatchException(operation, "Count", [peer], $"rank {peer} has {peerCount} elements, this rank {count}");
}
