using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Two-shot all-reduce (reduce-scatter, then all-gather), for large messages: rank r reduces only its shard r
/// (<see cref="Shards"/>), reading the peers' shard r in the fixed rank order 0..n-1, and writes the result in place
/// over its own copy of shard r; then every rank copies each shard q from rank q. Each element is reduced once, by
/// one rank, so all ranks get the same bits; each rank reads about 2x the message whatever the world size.
/// </summary>
/// <remarks>
/// <para>User spans go through the staging slots in rounds: round k holds, for every shard q of a peer, the k-th
/// piece of shard q at piece position q; rank r reads its own piece from its input and puts the reduced piece at
/// position r. So a rank copies in (n-1)/n of the message, not all of it: at 2 ranks 4.5 S of memory traffic (reads +
/// writes) per rank instead of 5.5 S. Measured at 2 processes in the same quiet minute (load 1.5-1.9): 1 MiB
/// 43.3-44.8 µs against 52.6-62.8 µs before, 64 MiB 7.8-8.2 ms against 8.8-9.8 ms.
/// Steps of round k: 3k = "my slot holds round k" (round 0's is the arrival),
/// 3k+1 = "my piece is reduced", 3k+2 = "done copying peers' pieces".</para>
/// <para><see cref="CommunicatorBuffer{T}"/>s need no copy at all: peers read the shards straight out of each
/// other's buffers (steps: 0 arrival, 1 reduced, 2 gathered), and the call returns only once every peer is done
/// reading this rank's buffer, so the caller may write to it right away.</para>
/// </remarks>
internal static unsafe class TwoShot
{
    internal static void AllReduce(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        if (descriptor.BufferOffset >= 0)
        {
            AllReduceInBuffers(call, args, descriptor);
        }
        else
        {
            AllReduceThroughStaging(call, args, descriptor);
        }
    }

    private static void AllReduceThroughStaging(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank, elementSize = args.ElementSize;
        long pieceElements = Math.Max(1, call.Endpoint.RoundElements(elementSize) / size);
        long rounds = Math.Max(1, (Shards.Largest(args.Count, size) + pieceElements - 1) / pieceElements);
        Span<nint> sources = stackalloc nint[size];
        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)(3 * round);
            long pieceStart = round * pieceElements;
            int slot = call.AcquireSlot(round);
            byte* mySlot = call.Transport.SlotOf(me, slot);
            // Only the pieces peers reduce: this rank reads its own piece straight from the input.
            for (int shard = 0; shard < size; shard++)
            {
                if (shard != me)
                {
                    (long offset, long length) = Piece(args.Count, size, shard, pieceStart, pieceElements);
                    Buffer.MemoryCopy(args.Input + offset * elementSize, mySlot + shard * pieceElements * elementSize,
                        length * elementSize, length * elementSize);
                }
            }
            if (round == 0)
            {
                call.Arrive(descriptor);
            }
            else
            {
                call.Publish(step);
                call.WaitAll(step);
            }

            long myPieceByte = me * pieceElements * elementSize;
            (long myOffset, long myLength) = Piece(args.Count, size, me, pieceStart, pieceElements);
            for (int rank = 0; rank < size; rank++)
            {
                sources[rank] = rank == me
                    ? (nint)(args.Input + myOffset * elementSize)
                    : (nint)(call.Transport.SlotOf(rank, slot) + myPieceByte);
            }
            // Into the slot, where peers fetch it; then into this rank's output (which may be the input just read).
            OrderedReduction.Reduce(args.DType, elementSize, args.NativeOp, sources, mySlot + myPieceByte, myLength, args.Scale);
            call.Publish(step + 1);
            Buffer.MemoryCopy(mySlot + myPieceByte, args.Output + myOffset * elementSize, myLength * elementSize, myLength * elementSize);

            // Start with the next rank, so the ranks do not all read the same peer at once.
            for (int i = 1; i < size; i++)
            {
                int shard = (me + i) % size;
                call.WaitFor(shard, step + 1);
                (long offset, long length) = Piece(args.Count, size, shard, pieceStart, pieceElements);
                Buffer.MemoryCopy(call.Transport.SlotOf(shard, slot) + shard * pieceElements * elementSize,
                    args.Output + offset * elementSize, length * elementSize, length * elementSize);
            }
            call.Publish(step + 2);
            call.ReleaseSlotAfter(slot, step + 2);
        }
    }

    private static void AllReduceInBuffers(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank, elementSize = args.ElementSize;
        CollectiveDescriptor[] all = ReduceOwnShardInBuffers(call, args, descriptor);
        call.Publish(1);

        byte* myBuffer = call.Transport.HeapOf(me) + all[me].BufferOffset;
        for (int i = 1; i < size; i++)
        {
            int shard = (me + i) % size;
            call.WaitFor(shard, 1);
            (long offset, long length) = Shards.Of(args.Count, size, shard);
            Buffer.MemoryCopy(call.Transport.HeapOf(shard) + all[shard].BufferOffset + offset * elementSize,
                myBuffer + offset * elementSize, length * elementSize, length * elementSize);
        }
        call.Publish(2);
        call.WaitAll(2);
    }

    /// <summary>
    /// The reduce-scatter half for <see cref="CommunicatorBuffer{T}"/>s (also <see cref="ShardedReduceScatter"/>'s): arrives,
    /// then reduces shard r of every rank's buffer in rank order, in place over this rank's shard r. Returns every rank's
    /// descriptor; the caller publishes step 1 ("reduced") itself.
    /// </summary>
    internal static CollectiveDescriptor[] ReduceOwnShardInBuffers(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank, elementSize = args.ElementSize;
        CollectiveDescriptor[] all = call.Arrive(descriptor);
        Span<nint> sources = stackalloc nint[size];
        (long myOffset, long myLength) = Shards.Of(args.Count, size, me);
        for (int rank = 0; rank < size; rank++)
        {
            sources[rank] = (nint)(call.Transport.HeapOf(rank) + all[rank].BufferOffset + myOffset * elementSize);
        }
        OrderedReduction.Reduce(args.DType, elementSize, args.NativeOp, sources, (byte*)sources[me], myLength, args.Scale);
        return all;
    }

    /// <summary>Element range of round piece <paramref name="pieceStart"/>.. of <paramref name="shard"/>, in the whole vector.</summary>
    internal static (long Offset, long Length) Piece(long count, int size, int shard, long pieceStart, long pieceElements)
    {
        (long shardOffset, long shardLength) = Shards.Of(count, size, shard);
        long length = Math.Clamp(shardLength - pieceStart, 0, pieceElements);
        return (shardOffset + pieceStart, length);
    }
}
