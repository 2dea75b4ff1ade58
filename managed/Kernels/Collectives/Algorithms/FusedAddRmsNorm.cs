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
/// pieces, then works through its own rows in blocks of <see cref="BlockBytes"/>: reduce from its x and the peers'
/// slots into its y, add + RMSNorm there (y and residual in place), copy the block's y and residual into the slot, all
/// while the block is still in L2; it publishes the rows, then fetches the peers' normalised and residual rows.
/// Memory traffic per rank at 2 ranks, counting cache-resident re-reads as free: 6.5 S against 8.5 S for the whole
/// shard pass by pass (the form before, which moved as much as the unfused AllReduce + AddRmsNorm and so was only
/// 1.02x faster). Both pay read-for-ownership on their stores, while the unfused AddRmsNorm's large calls stream y
/// with non-temporal stores (no read-for-ownership): counting that, both move about 10 S, and from 16 MiB (1024 tokens
/// x 4096) the fused form measured 0.67-0.93x of the unfused pair's speed, before and after blocking alike (load 35-55).
/// Steps of round k: 3k ready (round 0: arrival), 3k+1 rows normalised, 3k+2 done reading.
/// </remarks>
internal static unsafe class FusedAddRmsNorm
{
    /// <summary>
    /// Bytes of own rows reduced, normalised and published per block: x, the peers' rows, y and the residual of a block
    /// stay in L2 (1 MiB per core here) between the passes.
    /// </summary>
    private const long BlockBytes = 64 << 10;

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
            // Block by block, so that the reduced rows are still in cache for add + RMSNorm and for the copies peers fetch.
            long blockRows = Math.Max(1, BlockBytes / rowBytes);
            for (long done = 0; done < myRows; done += blockRows)
            {
                long row = myRow + done, count = Math.Min(blockRows, myRows - done);
                byte* blockY = y + row * rowBytes, blockResidual = residual + row * rowBytes;
                for (int rank = 0; rank < size; rank++)
                {
                    sources[rank] = rank == me
                        ? (nint)(x + row * rowBytes)
                        : (nint)(call.Transport.SlotOf(rank, slot) + me * pieceBytes + done * rowBytes);
                }
                // y may be exactly x: the reduction reads each block of the inputs before writing it.
                OrderedReduction.Reduce(dtype, elementSize, kn_reduce_op.KN_OP_SUM, sources, blockY, count * cols, 1f);
                Native.Check(NativeMethods.kn_add_rms_norm(dtype, blockY, blockResidual, weight, blockY, (nuint)count, (nuint)cols, eps));
                Buffer.MemoryCopy(blockY, mySlot + me * pieceBytes + done * rowBytes, count * rowBytes, count * rowBytes);
                Buffer.MemoryCopy(blockResidual, mySlot + size * pieceBytes + done * rowBytes, count * rowBytes, count * rowBytes);
            }
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
