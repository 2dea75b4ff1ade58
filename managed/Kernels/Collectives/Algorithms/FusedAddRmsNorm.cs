using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// All-reduce fused with the residual add and RMSNorm that follow it in a tensor-parallel transformer block, two-shot
/// by whole rows: rank r sums the peers' rows of its row shard (order x0, x1, ..., x(n-1), fp32, rounded once — the
/// same bits as <see cref="TwoShot"/> and <see cref="OneShot"/>), runs add + RMSNorm on those rows only, and
/// every rank then copies each shard's normalised rows and updated residual rows from its owner. Each rank thus
/// normalises 1/n of the rows, and the result is bitwise the unfused AllReduce (one-/two-shot) + AddRmsNorm.
/// </summary>
/// <remarks>
/// Rounds of rows through the staging slot; slot layout per round: n row pieces of x (a rank's own position receives
/// its normalised rows for peers to fetch), then this rank's updated residual piece. A rank copies in only the peers'
/// pieces, then works through its own rows in blocks of <see cref="BlockBytes"/>: reduce from its x and the peers'
/// slots into its y, add + RMSNorm there (y and residual in place), copy the block's y and residual into the slot, all
/// while the block is still in L2; it publishes the rows, then fetches the peers' normalised and residual rows.
/// Memory traffic per rank at 2 ranks for an x of S bytes too large for the caches, counting the write-allocate read
/// (RFO) of a regular store and treating the slots (a few MiB, read by a peer right away) as cache-resident: the
/// unfused AllReduce + AddRmsNorm moves about 8 S (AllReduce: read x, write the sum + RFO; AddRmsNorm: read the sum and
/// the residual, write the residual in place, write y + RFO; all regular stores: kn_add_rms_norm never streams). This
/// form with regular stores moves about 5 S (read x and the residual, write the residual, y and the gathered halves, RFO
/// on y and on the gathered y and residual). From <see cref="StreamMinBytes"/> it reduces into the slot instead of y and
/// writes y and the gathered rows with non-temporal stores: about 3.5 S. Measured (2 in-process ranks, hidden 4096,
/// f32, load 6-8, 6 runs of 30 alternating rounds, the regular and streaming forms in the same process): streaming /
/// regular time 0.90-1.03 (median of runs 0.95) at 1024 tokens and 0.94-1.02 (0.96) at 4096, where the 256-token
/// control (same code for both) gave 1.00-1.06; fused speed-up over the unfused pair with streaming 1.37-1.79x at 1024
/// and 1.28-1.65x at 4096 tokens. The gain is smaller than the bytes suggest: each rank is one thread, bounded by its
/// core's outstanding misses more than by DRAM bandwidth. The 0.67-0.93x measured earlier at load 35-55 is not
/// reproduced at load 6-8 (regular stores 1.30-1.62x), likely because the unfused AddRmsNorm splits rows over two
/// threads and so gets a larger share of contended cores.
/// Steps of round k: 3k ready (round 0: arrival), 3k+1 rows normalised, 3k+2 done reading.
/// </remarks>
internal static unsafe class FusedAddRmsNorm
{
    /// <summary>
    /// Bytes of own rows reduced, normalised and published per block: x, the peers' rows, y and the residual of a block
    /// stay in L2 (1 MiB per core here) between the passes.
    /// </summary>
    private const long BlockBytes = 64 << 10;

    /// <summary>
    /// From this many bytes of x (rows x cols x element size), y and the residual go to DRAM anyway before the caller
    /// reads them, so they are written with non-temporal stores (<c>kn_add_rms_norm_publish</c> for own rows,
    /// <c>kn_stream_copy</c> for the gathered ones): no write-allocate read. The staging slot keeps regular stores,
    /// its reader comes at once. Same threshold as kn_rms_norm's streaming stores (the working set then exceeds L3).
    /// </summary>
    internal const long StreamMinBytes = 8 << 20;

    /// <summary>Rows per shard piece in one round, or 0 when a slot cannot hold one row per rank plus one.</summary>
    internal static long PieceRows(long slotElements, int cols, int size) => slotElements / ((long)cols * (size + 1));

    /// <summary>
    /// Rows per shard piece: as many as the slot holds (<see cref="PieceRows"/>), but a piece of at most
    /// <see cref="RankEndpoint.RoundBytes"/> (at least one row), so that a round's pieces are still in cache when peers
    /// read them, as for the other streaming collectives. Whole-slot pieces (85 rows of 4096 f32 at 2 ranks: 1.3 MiB)
    /// spilled to L3. Measured over 2 processes in a quiet minute, both forms alternating in one job, hidden 4096:
    /// 256 tokens 376 against 551 µs, 1024 tokens 2545 against 2792 µs, 4096 tokens 10.9 against 11.5 ms, 64 tokens
    /// (one 512 KiB piece either way) 69 against 67 µs. Pieces of 512 KiB per round instead (10 rows at 2 ranks) were
    /// faster still at 256 tokens (343 µs) but cost 64 tokens four rounds (70-73 µs).
    /// </summary>
    internal static long RoundRows(RankEndpoint endpoint, int elementSize, int cols, int size)
    {
        long slotRows = PieceRows(endpoint.SlotElements(elementSize), cols, size);
        long cacheRows = Math.Max(1, RankEndpoint.RoundBytes / ((long)cols * elementSize));
        return Math.Min(slotRows, cacheRows);
    }

    internal static void Run(CollectiveCall call, kn_dtype dtype, int elementSize, byte* x, byte* residual, byte* weight, byte* y,
        long rows, int cols, float eps, CollectiveDescriptor descriptor)
    {
        int size = call.Size, me = call.Rank;
        long pieceRows = RoundRows(call.Endpoint, elementSize, cols, size);
        long pieceBytes = pieceRows * cols * elementSize;
        long rowBytes = (long)cols * elementSize;
        long rounds = Math.Max(1, (Shards.Largest(rows, size) + pieceRows - 1) / pieceRows);
        Span<nint> sources = stackalloc nint[size];
        bool streaming = rows * rowBytes >= StreamMinBytes;
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
            byte* mySlotY = mySlot + me * pieceBytes, mySlotResidual = mySlot + size * pieceBytes;
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
                byte* slotY = mySlotY + done * rowBytes, slotResidual = mySlotResidual + done * rowBytes;
                if (streaming)
                {
                    // Reduced into the slot (cache) rather than y, so y's lines are never read: only streamed once.
                    OrderedReduction.Reduce(dtype, elementSize, kn_reduce_op.KN_OP_SUM, sources, slotY, count * cols, 1f);
                    Native.Check(NativeMethods.kn_add_rms_norm_publish(dtype, slotY, blockResidual, weight, blockY, slotY, slotResidual,
                        (nuint)count, (nuint)cols, eps));
                    continue;
                }
                // y may be exactly x: the reduction reads each block of the inputs before writing it.
                OrderedReduction.Reduce(dtype, elementSize, kn_reduce_op.KN_OP_SUM, sources, blockY, count * cols, 1f);
                Native.Check(NativeMethods.kn_add_rms_norm(dtype, blockY, blockResidual, weight, blockY, (nuint)count, (nuint)cols, eps));
                Buffer.MemoryCopy(blockY, slotY, count * rowBytes, count * rowBytes);
                Buffer.MemoryCopy(blockResidual, slotResidual, count * rowBytes, count * rowBytes);
            }
            call.Publish(step + 1);

            for (int i = 1; i < size; i++)
            {
                int shard = (me + i) % size;
                call.WaitFor(shard, step + 1);
                (long row, long count) = TwoShot.Piece(rows, size, shard, pieceStart, pieceRows);
                byte* owner = call.Transport.SlotOf(shard, slot);
                Copy(owner + shard * pieceBytes, y + row * rowBytes, count * rowBytes, streaming);
                Copy(owner + size * pieceBytes, residual + row * rowBytes, count * rowBytes, streaming);
            }
            call.Publish(step + 2);
            call.ReleaseSlotAfter(slot, step + 2);
        }
    }

    private static void Copy(byte* source, byte* destination, long bytes, bool streaming)
    {
        if (streaming)
        {
            Native.Check(NativeMethods.kn_stream_copy(destination, source, (nuint)bytes));
        }
        else
        {
            Buffer.MemoryCopy(source, destination, bytes, bytes);
        }
    }
}
