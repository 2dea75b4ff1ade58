using Kernels.Collectives.Protocol;
using Kernels.Collectives.Transport;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// One-shot all-reduce, for small messages: every rank copies its input into its staging slot, then reduces the
/// whole message itself, reading every peer's slot in rank order 0..n-1 (<see cref="OrderedReduction"/>). One
/// synchronisation per round and no second pass, at the price of each rank reading n times the message.
/// </summary>
/// <remarks>
/// Messages of at most <see cref="RegionHeader.InlineBytes"/> bytes skip the slot: each rank writes its data beside its
/// progress counter as it arrives (<see cref="CollectiveCall.ArriveInline"/>) and reduces straight from the peers'
/// counter lines: one cache-line transfer per peer instead of three (progress, descriptor, slot) and no closing step.
/// 8-byte all-reduce, 2 processes under mpirun, three jobs in one quiet minute: 0.195-0.201 µs, MPI_Allreduce in the
/// same jobs 0.250 µs; through the slot, jobs minutes earlier: 0.276-0.287 µs (MPI 0.259-0.265 µs).
/// Messages larger than a slot go in rounds, alternating the two slots. Steps of round k: 2k = "my slot holds
/// round k" (round 0's is the arrival), 2k+1 = "done reading peers' slots". Buffers take the same path: the copy
/// into the slot is what lets a rank write its result while peers still read its input.
/// </remarks>
internal static unsafe class OneShot
{
    internal static void AllReduce(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        if (args.Count * args.ElementSize <= RegionHeader.InlineBytes)
        {
            AllReduceInline(call, args, descriptor);
            return;
        }
        long roundElements = call.Endpoint.SlotElements(args.ElementSize);
        long rounds = Math.Max(1, (args.Count + roundElements - 1) / roundElements);
        Span<nint> sources = stackalloc nint[call.Size];
        for (long round = 0; round < rounds; round++)
        {
            long start = round * roundElements;
            long length = Math.Min(roundElements, args.Count - start);
            uint step = (uint)(2 * round);
            int slot = call.AcquireSlot(round);
            Buffer.MemoryCopy(args.Input + start * args.ElementSize, call.Transport.SlotOf(call.Rank, slot),
                length * args.ElementSize, length * args.ElementSize);
            if (round == 0)
            {
                call.Arrive(descriptor);
            }
            else
            {
                call.Publish(step);
                call.WaitAll(step);
            }
            for (int rank = 0; rank < call.Size; rank++)
            {
                sources[rank] = (nint)call.Transport.SlotOf(rank, slot);
            }
            OrderedReduction.Reduce(args.DType, args.ElementSize, args.NativeOp, sources,
                args.Output + start * args.ElementSize, length, args.Scale);
            call.Publish(step + 1);
            call.ReleaseSlotAfter(slot, step + 1);
        }
    }

    /// <summary>
    /// No step after the arrival: a rank rewrites its inline data of collective s only at s + 2, which it can start only
    /// once every peer has arrived at s + 1, that is, has finished reading s.
    /// </summary>
    private static void AllReduceInline(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        call.ArriveInline(descriptor, args.Input, (int)(args.Count * args.ElementSize));
        Span<nint> sources = stackalloc nint[call.Size];
        for (int rank = 0; rank < call.Size; rank++)
        {
            sources[rank] = (nint)call.InlineOf(rank);
        }
        OrderedReduction.Reduce(args.DType, args.ElementSize, args.NativeOp, sources, args.Output, args.Count, args.Scale);
    }
}
