using Kernels.Collectives.Protocol;
using Kernels.Collectives.Transport;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Send/Recv through the sender's staging area (both slots), in chunks: the sender posts a chunk and bumps its
/// per-destination counter; the receiver copies it out and bumps its per-source acknowledgement; the sender waits
/// for that before the next chunk. Send therefore returns once the receiver has taken everything (like
/// MPI_Ssend), and two ranks sending to each other at the same time deadlock until the deadline.
/// </summary>
/// <remarks>
/// The first chunk carries the element count and type tag; a receiver whose Recv disagrees refuses the chunk
/// (sets its per-source rejection counter to the chunk number), and both sides throw
/// <see cref="CollectiveMismatchException"/>; the counters stay in step, so the communicator remains usable.
/// </remarks>
internal static unsafe class PointToPoint
{
    internal static void Send(CollectiveCall call, int peer, byte* data, long count, int elementSize, int elementTag)
    {
        RankEndpoint endpoint = call.Endpoint;
        RegionHeader* mine = endpoint.Header(call.Rank);
        call.AcquireWholeStaging();
        mine->SendCount[peer] = count;
        mine->SendElementTag[peer] = elementTag;
        byte* staging = call.Transport.SlotOf(call.Rank, 0);
        long chunkElements = call.Transport.Layout.StagingBytes / elementSize;
        long chunks = Math.Max(1, (count + chunkElements - 1) / chunkElements);
        for (long chunk = 0; chunk < chunks; chunk++)
        {
            long start = chunk * chunkElements;
            long bytes = Math.Min(chunkElements, count - start) * elementSize;
            Buffer.MemoryCopy(data + start * elementSize, staging, bytes, bytes);
            ulong sequence = ++endpoint.ChunksSent[peer];
            Volatile.Write(ref mine->SentTo[peer], sequence);
            if (!call.WaitForCounter(peer, RegionHeader.AckedFromOffset(call.Rank), sequence, RegionHeader.RejectedFromOffset(call.Rank)))
            {
                throw new CollectiveMismatchException(call.Name, "Message", [peer],
                    $"rank {peer}'s Recv does not match a Send of {count} elements of this type");
            }
        }
    }

    internal static void Receive(CollectiveCall call, int peer, byte* data, long count, int elementSize, int elementTag)
    {
        RankEndpoint endpoint = call.Endpoint;
        RegionHeader* mine = endpoint.Header(call.Rank);
        RegionHeader* sender = endpoint.Header(peer);
        byte* staging = call.Transport.SlotOf(peer, 0);
        long chunkElements = call.Transport.Layout.StagingBytes / elementSize;
        long chunks = Math.Max(1, (count + chunkElements - 1) / chunkElements);
        for (long chunk = 0; chunk < chunks; chunk++)
        {
            ulong sequence = ++endpoint.ChunksReceived[peer];
            call.WaitForCounter(peer, RegionHeader.SentToOffset(call.Rank), sequence);
            if (chunk == 0)
            {
                long sentCount = Volatile.Read(ref sender->SendCount[call.Rank]);
                int sentTag = Volatile.Read(ref sender->SendElementTag[call.Rank]);
                if (sentCount != count || sentTag != elementTag)
                {
                    Volatile.Write(ref mine->RejectedFrom[peer], sequence);
                    string field = sentTag != elementTag ? "ElementType" : "Count";
                    throw new CollectiveMismatchException(call.Name, field, [peer],
                        $"rank {peer} sent {sentCount} elements (type tag 0x{sentTag:X8}), this Recv expects {count} (type tag 0x{elementTag:X8})");
                }
            }
            long start = chunk * chunkElements;
            long bytes = Math.Min(chunkElements, count - start) * elementSize;
            Buffer.MemoryCopy(staging, data + start * elementSize, bytes, bytes);
            Volatile.Write(ref mine->AckedFrom[peer], sequence);
        }
    }
}
