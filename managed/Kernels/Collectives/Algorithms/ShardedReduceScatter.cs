using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Reduce-scatter: rank r reduces shard r (<see cref="Shards"/>) of every rank's input, in rank order 0..n-1 —
/// the first half of <see cref="TwoShot"/>. User spans go through the staging slots in rounds laid out as in
/// <see cref="TwoShot"/> (steps of round k: 2k arrival/ready, 2k+1 done reading); a <see cref="CommunicatorBuffer{T}"/>
/// is reduced in place into its own shard straight from the peers' buffers (steps 0 arrival, 1 done reading; the
/// call returns once every peer is done with this rank's buffer).
/// </summary>
internal static unsafe class ShardedReduceScatter
{
    /// <summary><paramref name="args"/>: <c>Count</c> is the whole input's length; <c>Output</c> receives this rank's shard (unused for buffers).</summary>
    internal static void Run(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        if (descriptor.BufferOffset >= 0)
        {
            RunInBuffers(call, args, descriptor);
            return;
        }
        int size = call.Size, me = call.Rank, elementSize = args.ElementSize;
        long pieceElements = Math.Max(1, call.Endpoint.RoundElements(elementSize) / size);
        long rounds = Math.Max(1, (Shards.Largest(args.Count, size) + pieceElements - 1) / pieceElements);
        Span<nint> sources = stackalloc nint[size];
        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)(2 * round);
            long pieceStart = round * pieceElements;
            int slot = call.AcquireSlot(round);
            byte* mySlot = call.Transport.SlotOf(me, slot);
            for (int shard = 0; shard < size; shard++)
            {
                (long offset, long length) = TwoShot.Piece(args.Count, size, shard, pieceStart, pieceElements);
                Buffer.MemoryCopy(args.Input + offset * elementSize, mySlot + shard * pieceElements * elementSize,
                    length * elementSize, length * elementSize);
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
            for (int rank = 0; rank < size; rank++)
            {
                sources[rank] = (nint)(call.Transport.SlotOf(rank, slot) + myPieceByte);
            }
            long myLength = TwoShot.Piece(args.Count, size, me, pieceStart, pieceElements).Length;
            OrderedReduction.Reduce(args.DType, elementSize, args.NativeOp, sources,
                args.Output + pieceStart * elementSize, myLength, args.Scale);
            call.Publish(step + 1);
            call.ReleaseSlotAfter(slot, step + 1);
        }
    }

    private static void RunInBuffers(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        TwoShot.ReduceOwnShardInBuffers(call, args, descriptor);
        call.Publish(1);
        call.WaitAll(1);
    }
}
