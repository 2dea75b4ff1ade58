using System.Runtime.CompilerServices;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Ring all-reduce, as NCCL's ring: n-1 reduce-scatter stages, then n-1 all-gather stages, where every stage reads
/// only from the left neighbour (rank r-1) and is read only by the right neighbour (rank r+1). Every chunk is cut
/// into slices with their own progress steps, so a rank works on slice i of stage t while its left neighbour still
/// produces slice i+1 of stage t-1 (NCCL's slices).
/// </summary>
/// <remarks>
/// <para>Chunks are the shards of <see cref="Shards"/>. At stage t (0..2n-2) rank r handles chunk
/// c = (r - 1 - t) mod n. Stage 0: rank r offers its input chunk r-1. Stages 1..n-1: rank r combines the left
/// neighbour's stage t-1 partial of chunk c with its own input chunk c; at stage n-1 the chunk is its own shard r,
/// finished. Stages n..2n-2: rank r copies the finished chunk c from its left neighbour (and forwards it, except at
/// the last stage).</para>
/// <para>Reduction order of chunk (shard) c: <c>((x_(c+1) op x_(c+2)) op ...) op x_c</c>, ranks taken upward from
/// c+1 modulo n and ending with the owner c; fp32 partials, scaled (Avg) and rounded once by the owner. The other
/// ranks copy the owner's rounded bits, so all ranks hold the same bits, and a rerun computes them in the same order.</para>
/// <para>User spans: the staging slot is split into two halves; stage t writes half t % 2 (fp32 partials, then the
/// finished element type for the all-gather), so a rank overwrites a half only after its right neighbour has read
/// slice i of stage t-2 there (it has published stage t-1, slice i). Messages larger than half a round (<see cref="RankEndpoint.RoundBytes"/>) per chunk run
/// in rounds alternating the slots (<see cref="CollectiveCall.AcquireSlot"/>). Traffic per rank at 2 ranks:
/// about 4.5 S as two-shot, but copy-in, reduction and copy-out of successive slices overlap between the ranks.</para>
/// <para><see cref="CommunicatorBuffer{T}"/>s: nothing is staged. Stage 1 reads the left neighbour's input chunk
/// straight from its buffer, the finished chunk is written in place into the owner's buffer and the all-gather copies
/// buffer to buffer; only the partials of stages 1..n-2 (3 ranks or more) go through the slot. A rank overwrites its
/// input chunk r-1 (which its right neighbour reads at stage 1) only once that neighbour is past stage 1, and returns
/// only once the right neighbour — the one rank that reads its buffer — has finished.</para>
/// <para>Steps of round k, base b = k (1 + (2n-2) m) with m slices per chunk: b "stage 0 ready" (round 0: arrival),
/// b + (t-1) m + i + 1 "slice i of stage t done" for t = 1..2n-2.</para>
/// </remarks>
internal static unsafe class Ring
{
    /// <summary>Slices per chunk piece: about <see cref="SliceBytes"/> each, between <see cref="MinSlices"/> and
    /// <see cref="MaxSlices"/>, and no smaller than <see cref="MinSliceElements"/>.</summary>
    private const long SliceBytes = 64 << 10;
    private const int MinSlices = 4;
    private const int MaxSlices = 16;
    private const long MinSliceElements = 64;

    /// <summary>Bytes a slice occupies in a slot half: room for fp32 partials whatever the element type.</summary>
    private const int PartialSize = sizeof(float);

    /// <summary>Slices per chunk piece of <paramref name="pieceElements"/> elements.</summary>
    internal static int SlicesFor(long pieceElements)
    {
        long slices = Math.Clamp(pieceElements * PartialSize / SliceBytes, MinSlices, MaxSlices);
        return (int)Math.Max(1, Math.Min(slices, pieceElements / MinSliceElements));
    }

    internal static void AllReduce(CollectiveCall call, in ReductionArgs args, CollectiveDescriptor descriptor)
    {
        if (call.Size == 1)
        {
            call.Arrive(descriptor);
            OrderedReduction.Reduce(args.DType, args.ElementSize, args.NativeOp, [(nint)args.Input], args.Output, args.Count, args.Scale);
            return;
        }
        var ring = new RingPlan(call, args, descriptor.BufferOffset >= 0);
        CollectiveDescriptor[]? all = null;
        for (long round = 0; round < ring.Rounds; round++)
        {
            int slot = ring.UsesSlot ? call.AcquireSlot(round) : -1;
            uint stepBase = (uint)(round * ring.StepsPerRound);
            if (!ring.OnBuffers)
            {
                ring.OfferInputChunk(round, slot);
            }
            if (round == 0)
            {
                all = call.Arrive(descriptor);
                ring.SetBuffers(all);
            }
            else
            {
                call.Publish(stepBase);
            }
            for (int stage = 1; stage <= ring.LastStage; stage++)
            {
                for (int slice = 0; slice < ring.Slices; slice++)
                {
                    ring.RunSlice(round, slot, stage, slice);
                    call.Publish(ring.Step(round, stage, slice));
                }
            }
            if (slot >= 0)
            {
                call.ReleaseSlotAfter(slot, ring.Step(round, ring.LastStage, ring.Slices - 1));
            }
        }
        if (ring.OnBuffers)
        {
            // The right neighbour is the only rank reading this buffer; once it is done the caller may write it.
            call.WaitFor(ring.Right, ring.Step(ring.Rounds - 1, ring.LastStage, ring.Slices - 1));
        }
    }

    /// <summary>The geometry of one ring all-reduce (rounds, slices, steps) and the work of one slice of one stage.</summary>
    private sealed class RingPlan
    {
        private readonly CollectiveCall _call;
        private readonly ReductionArgs _args;
        private readonly int _size, _me;
        private readonly long _pieceElements, _sliceElements;
        private byte* _myBuffer, _leftBuffer;

        internal RingPlan(CollectiveCall call, in ReductionArgs args, bool onBuffers)
        {
            _call = call;
            _args = args;
            _size = call.Size;
            _me = call.Rank;
            Left = (_me + _size - 1) % _size;
            Right = (_me + 1) % _size;
            OnBuffers = onBuffers;
            // Buffers at 2 ranks keep no partials: no slot, so the whole shard is one piece.
            UsesSlot = !onBuffers || _size > 2;
            long largestShard = Math.Max(1, Shards.Largest(args.Count, _size));
            _pieceElements = UsesSlot ? Math.Max(1, call.Endpoint.RoundElements(PartialSize) / 2) : largestShard;
            Rounds = Math.Max(1, (largestShard + _pieceElements - 1) / _pieceElements);
            long piece = Math.Min(_pieceElements, largestShard);
            Slices = SlicesFor(piece);
            _sliceElements = (piece + Slices - 1) / Slices;
            LastStage = 2 * _size - 2;
            StepsPerRound = 1 + (long)LastStage * Slices;
        }

        internal int Left { get; }
        internal int Right { get; }
        internal bool OnBuffers { get; }
        internal bool UsesSlot { get; }
        internal long Rounds { get; }
        internal int Slices { get; }
        internal int LastStage { get; }
        internal long StepsPerRound { get; }

        internal uint Step(long round, int stage, int slice) =>
            (uint)(round * StepsPerRound + (stage == 0 ? 0 : (long)(stage - 1) * Slices + slice + 1));

        internal void SetBuffers(CollectiveDescriptor[] all)
        {
            if (OnBuffers)
            {
                _myBuffer = _call.Transport.HeapOf(_me) + all[_me].BufferOffset;
                _leftBuffer = _call.Transport.HeapOf(Left) + all[Left].BufferOffset;
            }
        }

        /// <summary>Stage 0 on user spans: input chunk r-1 into slot half 0 as fp32, for the right neighbour.</summary>
        internal void OfferInputChunk(long round, int slot)
        {
            (long offset, long length) = Piece(round, stage: 0);
            Convert(_args.DType, _args.Input + offset * _args.ElementSize, kn_dtype.KN_F32, Half(_me, slot, 0), length, 1f);
        }

        internal void RunSlice(long round, int slot, int stage, int slice)
        {
            (long pieceOffset, long pieceLength) = Piece(round, stage);
            long start = Math.Min(pieceLength, slice * _sliceElements);
            long length = Math.Min(pieceLength - start, _sliceElements);
            long element = pieceOffset + start;
            int elementSize = _args.ElementSize;
            long sliceByte = start * PartialSize;
            int finished = _size - 1;

            _call.WaitFor(Left, Step(round, stage - 1, slice));
            bool writesSlot = !OnBuffers ? stage < LastStage : stage < finished;
            if (writesSlot && stage >= 2)
            {
                _call.WaitFor(Right, Step(round, stage - 1, slice)); // it has read slice i of stage t-2 from this half
            }
            if (OnBuffers && stage == _size)
            {
                _call.WaitFor(Right, Step(round, 1, slice)); // it has read this input chunk at its stage 1
            }

            if (stage < _size)
            {
                // Reduce-scatter: left's partial op my input chunk.
                bool leftIsRaw = OnBuffers && stage == 1;
                byte* partial = leftIsRaw ? _leftBuffer + element * elementSize : Half(Left, slot, (stage - 1) % 2) + sliceByte;
                byte* mine = _args.Input + element * elementSize;
                if (stage < finished)
                {
                    Combine(partial, leftIsRaw, mine, Half(_me, slot, stage % 2) + sliceByte, toFloat: true, length, 1f);
                }
                else if (OnBuffers)
                {
                    Combine(partial, leftIsRaw, mine, _myBuffer + element * elementSize, toFloat: false, length, _args.Scale);
                }
                else
                {
                    byte* result = Half(_me, slot, stage % 2) + sliceByte;
                    Combine(partial, leftIsRaw, mine, result, toFloat: false, length, _args.Scale);
                    Copy(result, _args.Output + element * elementSize, length * elementSize);
                }
                return;
            }

            // All-gather: the finished chunk from the left neighbour, forwarded unless this is the last stage.
            long bytes = length * elementSize;
            if (OnBuffers)
            {
                Copy(_leftBuffer + element * elementSize, _myBuffer + element * elementSize, bytes);
            }
            else if (stage < LastStage)
            {
                byte* forwarded = Half(_me, slot, stage % 2) + sliceByte;
                Copy(Half(Left, slot, (stage - 1) % 2) + sliceByte, forwarded, bytes);
                Copy(forwarded, _args.Output + element * elementSize, bytes);
            }
            else
            {
                Copy(Half(Left, slot, (stage - 1) % 2) + sliceByte, _args.Output + element * elementSize, bytes);
            }
        }

        /// <summary>This round's piece of the chunk handled at <paramref name="stage"/>, in the whole vector.</summary>
        private (long Offset, long Length) Piece(long round, int stage)
        {
            int chunk = ((_me - 1 - stage) % _size + _size) % _size;
            return TwoShot.Piece(_args.Count, _size, chunk, round * _pieceElements, _pieceElements);
        }

        private byte* Half(int rank, int slot, int half) =>
            _call.Transport.SlotOf(rank, slot) + half * _pieceElements * PartialSize;

        /// <summary>
        /// <c>destination = (partial op mine) * scale</c> in fp32: <paramref name="partial"/> is fp32, or the element type
        /// when <paramref name="partialIsRaw"/>; <paramref name="mine"/> is the element type; the destination is fp32
        /// (a partial) or the element type (rounded once).
        /// </summary>
        [SkipLocalsInit]
        private void Combine(byte* partial, bool partialIsRaw, byte* mine, byte* destination, bool toFloat, long count, float scale)
        {
            if (count == 0)
            {
                return;
            }
            kn_reduce_op op = _args.NativeOp;
            if (_args.DType == kn_dtype.KN_F32)
            {
                Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, partial, mine, destination, (nuint)count, scale));
                return;
            }
            const int block = 2048;
            float* left = stackalloc float[block];
            float* right = stackalloc float[block];
            int elementSize = _args.ElementSize;
            for (long start = 0; start < count; start += block)
            {
                long length = Math.Min(block, count - start);
                float* a = (float*)partial + start;
                if (partialIsRaw)
                {
                    Convert(_args.DType, partial + start * elementSize, kn_dtype.KN_F32, left, length, 1f);
                    a = left;
                }
                Convert(_args.DType, mine + start * elementSize, kn_dtype.KN_F32, right, length, 1f);
                if (toFloat)
                {
                    Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, a, right, (float*)destination + start, (nuint)length, scale));
                }
                else
                {
                    Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, a, right, right, (nuint)length, 1f));
                    Convert(kn_dtype.KN_F32, right, _args.DType, destination + start * elementSize, length, scale);
                }
            }
        }

        private static void Convert(kn_dtype from, void* source, kn_dtype to, void* destination, long count, float scale)
        {
            if (count > 0)
            {
                Native.Check(NativeMethods.kn_convert(from, source, to, destination, (nuint)count, scale));
            }
        }

        private static void Copy(byte* source, byte* destination, long bytes) => Buffer.MemoryCopy(source, destination, bytes, bytes);
    }
}
