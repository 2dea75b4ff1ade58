using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// All-gather with a count per rank: every rank publishes its contribution and copies every peer's into place.
/// User spans go through the staging slots in rounds of up to <see cref="RankEndpoint.RoundBytes"/> per rank (steps of round k: 2k ready,
/// 2k+1 done reading); a <see cref="CommunicatorBuffer{T}"/> holds all contributions at their shard offsets and
/// each rank copies the peers' shards straight from their buffers (steps 0, 1; returns once peers are done).
/// </summary>
internal static unsafe class Gather
{
    /// <summary><paramref name="counts"/>: elements contributed by each rank; output receives them concatenated in rank order.</summary>
    internal static void AllGatherV(CollectiveCall call, byte* input, byte* output, ReadOnlySpan<long> counts,
        int elementSize, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank;
        Span<long> displacements = stackalloc long[size];
        long largest = 0;
        long displacement = 0;
        for (int rank = 0; rank < size; rank++)
        {
            displacements[rank] = displacement;
            displacement += counts[rank];
            largest = Math.Max(largest, counts[rank]);
        }
        long roundElements = call.Endpoint.RoundElements(elementSize);
        long rounds = Math.Max(1, (largest + roundElements - 1) / roundElements);
        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)(2 * round);
            long start = round * roundElements;
            int slot = call.AcquireSlot(round);
            long myLength = Math.Clamp(counts[me] - start, 0, roundElements);
            Buffer.MemoryCopy(input + start * elementSize, call.Transport.SlotOf(me, slot), myLength * elementSize, myLength * elementSize);
            if (round == 0)
            {
                call.Arrive(descriptor);
            }
            else
            {
                call.Publish(step);
            }
            for (int i = 0; i < size; i++)
            {
                int rank = (me + i) % size;
                call.WaitFor(rank, step);
                long length = Math.Clamp(counts[rank] - start, 0, roundElements);
                Buffer.MemoryCopy(call.Transport.SlotOf(rank, slot), output + (displacements[rank] + start) * elementSize,
                    length * elementSize, length * elementSize);
            }
            call.Publish(step + 1);
            call.ReleaseSlotAfter(slot, step + 1);
        }
    }

    /// <summary>In-place all-gather of a buffer of <paramref name="count"/> elements: rank r contributes shard r.</summary>
    internal static void AllGatherInBuffers(CollectiveCall call, long count, int elementSize, CollectiveDescriptor descriptor)
    {
        CollectiveDescriptor[] all = call.Arrive(descriptor);
        byte* myBuffer = call.Transport.HeapOf(call.Rank) + all[call.Rank].BufferOffset;
        for (int i = 1; i < call.Size; i++)
        {
            int rank = (call.Rank + i) % call.Size;
            (long offset, long length) = Shards.Of(count, call.Size, rank);
            Buffer.MemoryCopy(call.Transport.HeapOf(rank) + all[rank].BufferOffset + offset * elementSize,
                myBuffer + offset * elementSize, length * elementSize, length * elementSize);
        }
        call.Publish(1);
        call.WaitAll(1);
    }
}
