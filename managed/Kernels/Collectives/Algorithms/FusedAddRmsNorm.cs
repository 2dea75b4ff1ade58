using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// All-reduce fused with the residual add and RMSNorm that follow it in a tensor-parallel transformer block, two-shot
/// by whole rows: rank r sums the peers' rows of its row shard (order x0, x1, ..., x(n-1), fp32, rounded once — the
/// same bits as <see cref="TwoShot"/> and <see cref="OneShot"/>), runs <c>kn_add_rms_norm</c> on those rows only, and
/// every rank then copies each shard's normalised rows and updated residual rows from its owner. Each rank thus
/// normalises 1/n of the rows, and the result is bitwise the unfused AllReduce (one-/two-shot) + AddRmsNorm.
/// </summary>
/// <remarks>
/// Rounds of rows through the staging slot; slot layout per round: n row pieces of x (a rank's own position receives
/// its normalised rows for peers to fetch), then this rank's updated residual piece. A rank copies in only the peers'
/// pieces, reduces its own rows from its x and the peers' slots straight into its y, runs add + RMSNorm there (y and
/// residual in place), and publishes those rows; then it fetches the peers' normalised and residual rows. Per rank that
/// is about 8.5 S of memory traffic (reads + writes) at 2 ranks, against 10.5 S when every row went through the slot
/// both ways; the unfused pair moves about 8.5 S too, so at 2 ranks the fused form wins by normalising half the rows,
/// not by moving less. Steps of round k: 3k ready (round 0: arrival), 3k+1 rows normalised, 3k+2 done reading.
/// </remarks>
internal static unsafe class FusedAddRmsNorm
{
    /// <summary>Rows per shard piece in one round, or 0 when a slot cannot hold one row per rank plus one.</summary>
    internal static long PieceRows(long slotElements, int cols, int size) => slotElements / ((long)cols * (size + 1));

    internal static void Run(CollectiveCall call, kn_dtype dtype, int elementSize, byte* x, byte* residual, byte* weight, byte* y,
        long rows, int cols, float eps, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank;
        long pieceRows = PieceRows(call.Endpoint.SlotElements(elementSize), cols, size);
        long pieceBytes = pieceRows * cols * elementSize;
        long rowBytes = (long)cols * elementSize;
        long rounds = Math.Max(1, (Shards.Largest(rows, size) + pieceRows - 1) / pieceRows);
        Span<nint> sources = stackalloc nint[size];
        for (long round = 0; round < rounds; round++)
        {
            uint step = (uint)(3 * round);
            long pieceStart = round * pieceRows;
            int slot = call.AcquireSlot(round);
            byte* mySlot = call.Transport.SlotOf(me, slot);
            for (int shard = 0; shard < size; shard++)
            {
                if (shard != me)
                {
                    (long row, long count) = TwoShot.Piece(rows, size, shard, pieceStart, pieceRows);
                    Buffer.MemoryCopy(x + row * rowBytes, mySlot + shard * pieceBytes, count * rowBytes, count * rowBytes);
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

            (long myRow, long myRows) = TwoShot.Piece(rows, size, me, pieceStart, pieceRows);
            byte* myY = y + myRow * rowBytes, myResidual = residual + myRow * rowBytes;
            for (int rank = 0; rank < size; rank++)
            {
                sources[rank] = rank == me ? (nint)(x + myRow * rowBytes) : (nint)(call.Transport.SlotOf(rank, slot) + me * pieceBytes);
            }
            // y may be exactly x: the reduction reads each block of the inputs before writing it.
            OrderedReduction.Reduce(dtype, elementSize, kn_reduce_op.KN_OP_SUM, sources, myY, myRows * cols, 1f);
            if (myRows > 0)
            {
                Native.Check(NativeMethods.kn_add_rms_norm(dtype, myY, myResidual, weight, myY, (nuint)myRows, (nuint)cols, eps));
            }
            Buffer.MemoryCopy(myY, mySlot + me * pieceBytes, myRows * rowBytes, myRows * rowBytes);
            Buffer.MemoryCopy(myResidual, mySlot + size * pieceBytes, myRows * rowBytes, myRows * rowBytes);
            call.Publish(step + 1);

            for (int i = 1; i < size; i++)
            {
                int shard = (me + i) % size;
                call.WaitFor(shard, step + 1);
                (long row, long count) = TwoShot.Piece(rows, size, shard, pieceStart, pieceRows);
                byte* owner = call.Transport.SlotOf(shard, slot);
                Buffer.MemoryCopy(owner + shard * pieceBytes, y + row * rowBytes, count * rowBytes, count * rowBytes);
                Buffer.MemoryCopy(owner + size * pieceBytes, residual + row * rowBytes, count * rowBytes, count * rowBytes);
            }
            call.Publish(step + 2);
            call.ReleaseSlotAfter(slot, step + 2);
        }
    }
}
