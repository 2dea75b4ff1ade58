using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// All-to-all with a count per (sender, receiver) pair, the data movement under the sparse reduce-scatter: rank p's send
/// buffer holds its blocks for ranks 0..n-1 back to back; rank r receives block p-&gt;r from every p, concatenated in p
/// order. Every rank must hold the same count matrix (the sparse collectives gather it first).
/// </summary>
/// <remarks>
/// Rounds of C = <see cref="RankEndpoint.RoundBytes"/> (or the slot, when smaller): round k stages elements [kC, (k+1)C) of every rank's send buffer, and each rank copies the part
/// of its block that falls in the window. Steps of round k: 2k ready (round 0: arrival), 2k+1 done reading.
/// </remarks>
internal static unsafe class Exchange
{
    /// <summary><paramref name="counts"/> is row-major n x n: <c>counts[p * n + q]</c> elements go from rank p to rank q.</summary>
    internal static void AllToAllV(CollectiveCall call, byte* send, byte* receive, ReadOnlySpan<long> counts, int elementSize,
        CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank;
        Span<long> blockStart = stackalloc long[size];   // where block p->me starts in p's send buffer
        Span<long> receiveStart = stackalloc long[size]; // where it goes in this rank's receive buffer
        long largestSend = 0, received = 0;
        for (int p = 0; p < size; p++)
        {
            long sendTotal = 0;
            for (int q = 0; q < size; q++)
            {
                if (q == me)
                {
                    blockStart[p] = sendTotal;
                }
                sendTotal += counts[p * size + q];
            }
            largestSend = Math.Max(largestSend, sendTotal);
            receiveStart[p] = received;
            received += counts[p * size + me];
        }
        long mySendTotal = 0;
        for (int q = 0; q < size; q++)
        {
            mySendTotal += counts[me * size + q];
        }

        long roundElements = call.Endpoint.RoundElements(elementSize);
        long rounds = Math.Max(1, (largestSend + roundElements - 1) / roundElements);
        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)(2 * round);
            long windowStart = round * roundElements, windowEnd = windowStart + roundElements;
            int slot = call.AcquireSlot(round);
            long staged = Math.Clamp(mySendTotal - windowStart, 0, roundElements);
            Buffer.MemoryCopy(send + windowStart * elementSize, call.Transport.SlotOf(me, slot), staged * elementSize, staged * elementSize);
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
                int p = (me + i) % size;
                long low = Math.Max(blockStart[p], windowStart);
                long high = Math.Min(blockStart[p] + counts[p * size + me], windowEnd);
                if (high <= low)
                {
                    continue;
                }
                call.WaitFor(p, step);
                long bytes = (high - low) * elementSize;
                Buffer.MemoryCopy(call.Transport.SlotOf(p, slot) + (low - windowStart) * elementSize,
                    receive + (receiveStart[p] + low - blockStart[p]) * elementSize, bytes, bytes);
            }
            call.Publish(step + 1);
            call.ReleaseSlotAfter(slot, step + 1);
        }
    }
}
