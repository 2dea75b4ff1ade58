using System.Numerics;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Recursive halving (reduce-scatter) then recursive doubling (all-gather), log2(n) pairwise steps each way: each
/// step waits on one partner rather than on every peer, which pays off when there are many ranks.
/// </summary>
/// <remarks>
/// <para>Partials are fp32 in the staging slot whatever the element type, so 16-bit types are rounded once, at the
/// end. World sizes that are not a power of two fold first: with p the largest power of two &lt;= n, rank p+i
/// hands its input to rank i (i &lt; n-p), which combines <c>x_i op x_(p+i)</c>; rank p+i finally rounds rank i's
/// result.</para>
/// <para>Reduction order (fixed for a world size, the same on every rank): at halving step j (distance
/// d = p/2, p/4, ..., 1) partners r and r^d split their common range, the rank with bit d clear keeping the lower
/// half; each computes <c>lower-rank partial op higher-rank partial</c> over the half it keeps. Each element is
/// combined on exactly one rank per step, so every rank ends with the same bits.</para>
/// <para>Steps of round k, base b = k(3 + 2 log2 p): b "input loaded" (round 0: arrival), b+1 "folded",
/// b+2+j "halving step j done", b+2+log2 p+t "doubling step t done", b+2+2 log2 p "done reading peers".</para>
/// </remarks>
internal static unsafe class RecursiveHalvingDoubling
{
    internal static void AllReduce(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank;
        int powerOfTwo = (int)BitOperations.RoundUpToPowerOf2((uint)size + 1) / 2;
        int folded = size - powerOfTwo;
        int levels = BitOperations.Log2((uint)powerOfTwo);
        uint stepsPerRound = (uint)(3 + 2 * levels);
        long roundElements = call.Endpoint.SlotElements(sizeof(float));
        long rounds = Math.Max(1, (args.Count + roundElements - 1) / roundElements);
        Span<(long Low, long High)> ranges = stackalloc (long, long)[levels + 1];

        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)round * stepsPerRound;
            long start = round * roundElements;
            long length = Math.Min(roundElements, args.Count - start);
            int slot = call.AcquireSlot(round);
            float* mine = Partials(call, me, slot);
            Convert(args.DType, args.Input + start * args.ElementSize, kn_dtype.KN_F32, mine, length, 1f);
            if (round == 0)
            {
                call.Arrive(descriptor);
            }
            else
            {
                call.Publish(step);
            }

            byte* output = args.Output + start * args.ElementSize;
            if (me >= powerOfTwo)
            {
                int partner = me - powerOfTwo;
                call.WaitFor(partner, step + 1 + (uint)(2 * levels));
                Convert(kn_dtype.KN_F32, Partials(call, partner, slot), args.DType, output, length, args.Scale);
            }
            else
            {
                if (me < folded)
                {
                    call.WaitFor(me + powerOfTwo, step);
                    Combine(args.NativeOp, mine, Partials(call, me + powerOfTwo, slot), mine, length);
                }
                call.Publish(step + 1);
                ranges[0] = (0, length);
                for (int j = 0; j < levels; j++)
                {
                    int distance = powerOfTwo >> (j + 1);
                    int partner = me ^ distance;
                    (long low, long high) = ranges[j];
                    long middle = low + (high - low) / 2;
                    ranges[j + 1] = (me & distance) == 0 ? (low, middle) : (middle, high);
                    call.WaitFor(partner, step + 1 + (uint)j);
                    (long keepLow, long keepHigh) = ranges[j + 1];
                    float* theirs = Partials(call, partner, slot);
                    float* lower = me < partner ? mine : theirs;
                    float* higher = me < partner ? theirs : mine;
                    Combine(args.NativeOp, lower + keepLow, higher + keepLow, mine + keepLow, keepHigh - keepLow);
                    call.Publish(step + 2 + (uint)j);
                }
                for (int t = 0; t < levels; t++)
                {
                    int j = levels - 1 - t;
                    int partner = me ^ (powerOfTwo >> (j + 1));
                    call.WaitFor(partner, step + 1 + (uint)(levels + t));
                    (long outerLow, long outerHigh) = ranges[j];
                    (long ownLow, long ownHigh) = ranges[j + 1];
                    (long low, long high) = ownLow == outerLow ? (ownHigh, outerHigh) : (outerLow, ownLow);
                    Buffer.MemoryCopy(Partials(call, partner, slot) + low, mine + low,
                        (high - low) * sizeof(float), (high - low) * sizeof(float));
                    call.Publish(step + 2 + (uint)(levels + t));
                }
                Convert(kn_dtype.KN_F32, mine, args.DType, output, length, args.Scale);
            }
            uint done = step + 2 + (uint)(2 * levels);
            call.Publish(done);
            call.ReleaseSlotAfter(slot, done);
        }
    }

    private static float* Partials(CollectiveCall call, int rank, int slot) => (float*)call.Transport.SlotOf(rank, slot);

    private static void Convert(kn_dtype from, void* source, kn_dtype to, void* destination, long count, float scale)
    {
        if (count > 0)
        {
            Native.Check(NativeMethods.kn_convert(from, source, to, destination, (nuint)count, scale));
        }
    }

    private static void Combine(kn_reduce_op op, float* a, float* b, float* destination, long count)
    {
        if (count > 0)
        {
            Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, a, b, destination, (nuint)count, 1f));
        }
    }
}
