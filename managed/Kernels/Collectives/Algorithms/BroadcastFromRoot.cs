using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Broadcast: the root publishes, every other rank copies from it. User spans go through the root's staging slots
/// in rounds (steps of round k: 2k root's slot ready — round 0's is everyone's arrival — and 2k+1 done reading);
/// with <see cref="CommunicatorBuffer{T}"/>s the ranks copy straight out of the root's buffer and the root returns
/// once all are done.
/// </summary>
internal static unsafe class BroadcastFromRoot
{
    internal static void Run(CollectiveCall call, byte* buffer, long count, int elementSize, int root, CollectiveDescriptor descriptor)
    {
        if (descriptor.BufferOffset >= 0)
        {
            RunInBuffers(call, buffer, count, elementSize, root, descriptor);
            return;
        }
        bool isRoot = call.Rank == root;
        long roundElements = call.Endpoint.RoundElements(elementSize);
        long rounds = Math.Max(1, (count + roundElements - 1) / roundElements);
        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)(2 * round);
            long start = round * roundElements;
            long bytes = Math.Min(roundElements, count - start) * elementSize;
            int slot = call.AcquireSlot(round);
            if (isRoot)
            {
                Buffer.MemoryCopy(buffer + start * elementSize, call.Transport.SlotOf(root, slot), bytes, bytes);
            }
            if (round == 0)
            {
                call.Arrive(descriptor);
            }
            else if (isRoot)
            {
                call.Publish(step);
            }
            if (!isRoot)
            {
                call.WaitFor(root, step);
                Buffer.MemoryCopy(call.Transport.SlotOf(root, slot), buffer + start * elementSize, bytes, bytes);
            }
            call.Publish(step + 1);
            call.ReleaseSlotAfter(slot, step + 1);
        }
    }

    private static void RunInBuffers(CollectiveCall call, byte* buffer, long count, int elementSize, int root, CollectiveDescriptor descriptor)
    {
        CollectiveDescriptor[] all = call.Arrive(descriptor);
        if (call.Rank != root)
        {
            long bytes = count * elementSize;
            Buffer.MemoryCopy(call.Transport.HeapOf(root) + all[root].BufferOffset, buffer, bytes, bytes);
            call.Publish(1);
            return;
        }
        call.Publish(1);
        call.WaitAll(1);
    }
}
