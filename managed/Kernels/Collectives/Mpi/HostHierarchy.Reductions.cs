using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Mpi;

/// <summary>All-reduce, reduce-scatter and the fused add + RMSNorm across hosts (see the class remarks for the order).</summary>
internal sealed unsafe partial class HostHierarchy
{
    internal void AllReduce<T>(CollectiveCall call, ReductionArgs args, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        Reduce<T>(call, args, (ReduceOp)descriptor.Op, (T*)args.Output, tokens.Token);
    }

    /// <summary>Each rank gets only its shard: between hosts a reduce-scatter, not an all-reduce (<see cref="ReduceToShards"/>).</summary>
    internal void ReduceScatter<T>(CollectiveCall call, ReductionArgs args, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        var lengths = new long[Topology.Size];
        for (int rank = 0; rank < lengths.Length; rank++)
        {
            lengths[rank] = Shards.Of(args.Count, Topology.Size, rank).Length;
        }
        long offset = Shards.Of(args.Count, Topology.Size, Topology.Rank).Offset;
        T* output = descriptor.BufferOffset >= 0 ? (T*)args.Output + offset : (T*)args.Output;
        ReduceToShards(call, args, (ReduceOp)descriptor.Op, new HostOrderedShards(Topology, lengths), output, tokens.Token);
    }

    /// <summary>
    /// Two-shot by whole rows, as on one host: a reduce-scatter of x by row shards (<see cref="Shards.Of"/>(rows, size, r)),
    /// residual add + RMSNorm of this rank's rows only, then an all-gather of every rank's normalised rows and updated
    /// residual rows. The sums are the all-reduce's bits, so the result is bitwise the unfused AllReduce + AddRmsNorm.
    /// </summary>
    internal void AllReduceAddRmsNorm<T>(CollectiveCall call, kn_dtype dtype, T* x, T* residual, T* weight, T* y, long rows, long cols, float eps,
        CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        long count = rows * cols;
        if (count == 0)
        {
            return;
        }
        int size = Topology.Size, me = Topology.Rank;
        var rowLengths = new long[size];
        for (int rank = 0; rank < size; rank++)
        {
            rowLengths[rank] = Shards.Of(rows, size, rank).Length * cols;
        }
        long ownRow = Shards.Of(rows, size, me).Offset, ownCount = rowLengths[me];
        T* sum = (T*)_rows.Get(ownCount * sizeof(T));
        var args = new ReductionArgs(dtype, sizeof(T), kn_reduce_op.KN_OP_SUM, 1f, count, (byte*)x, (byte*)sum);
        ReduceToShards(call, args, ReduceOp.Sum, new HostOrderedShards(Topology, rowLengths), sum, tokens.Token);

        T* ownY = y + ownRow * cols, ownResidual = residual + ownRow * cols;
        if (ownCount > 0)
        {
            Native.Check(NativeMethods.kn_add_rms_norm(dtype, sum, ownResidual, weight, ownY, (nuint)(ownCount / cols), (nuint)cols, eps));
        }
        // One all-gather of [y rows | residual rows] per rank rather than two: half the rounds between hosts.
        long[] blockLengths = [.. rowLengths.Select(length => 2 * length)];
        T* block = (T*)_wide.Get(2 * ownCount * sizeof(T));
        new ReadOnlySpan<T>(ownY, (int)ownCount).CopyTo(new Span<T>(block, (int)ownCount));
        new ReadOnlySpan<T>(ownResidual, (int)ownCount).CopyTo(new Span<T>(block + ownCount, (int)ownCount));
        T* all = (T*)_whole.Get(2 * count * sizeof(T));
        GatherV(call, block, all, blockLengths, tokens.Token);
        long cursor = 0, row = 0;
        for (int rank = 0; rank < size; rank++)
        {
            long length = rowLengths[rank];
            if (rank != me)
            {
                new ReadOnlySpan<T>(all + cursor, (int)length).CopyTo(new Span<T>(y + row, (int)length));
                new ReadOnlySpan<T>(all + cursor + length, (int)length).CopyTo(new Span<T>(residual + row, (int)length));
            }
            cursor += 2 * length;
            row += length;
        }
    }

    /// <summary>
    /// All-reduce: lanes reduced inside the host, each lane all-reduced between hosts in host order (<see cref="AllReduceLane"/>:
    /// a small lane in one round, a larger one reduce-scattered then all-gathered in the element type, pipelined in chunks),
    /// then the lanes all-gathered inside the host. On hosts of several ranks, vectors of more than one chunk per lane go
    /// through <see cref="ReduceInChunks"/> instead, so that the host's shared-memory phase overlaps the MPI phase.
    /// </summary>
    private void Reduce<T>(CollectiveCall call, ReductionArgs args, ReduceOp op, T* output, CancellationToken cancellation) where T : unmanaged
    {
        long count = args.Count;
        if (count == 0)
        {
            return;
        }
        float* wide = Widen(args, packing: null);
        bool wideIsScratch = wide != (float*)args.Input;
        if (Topology.LocalSize > 1 && count > ChunkElements * Topology.MinLocalSize)
        {
            ReduceInChunks(call, args, op, wide, wideIsScratch, output, cancellation);
            return;
        }
        float* lane = ReduceOnHost(call, wide, wideIsScratch, count, op, cancellation, out _, out long laneLength);
        T* reducedLane = null;
        if (lane is not null && laneLength > 0)
        {
            reducedLane = AllReduceLane<T>(call, args, lane, laneLength, cancellation);
        }
        if (Topology.LocalSize == 1)
        {
            new ReadOnlySpan<T>(reducedLane, (int)count).CopyTo(new Span<T>(output, (int)count));
            return;
        }
        GatherLanesOnHost(call, reducedLane, output, count, cancellation);
    }

    /// <summary>
    /// The all-reduce in chunks of m x <see cref="ChunkElements"/> elements, each with its own lanes: the host reduces chunk
    /// c + 1 over shared memory while MPI moves chunk c between hosts (the peer hosts' ranks pull this host's partials as they
    /// poll); a lane's reduced chunk lands at its place in the whole vector, and the lanes are gathered on the host chunk by
    /// chunk at the end. Each element is still reduced in local-rank order, then host order: the same bits as unchunked.
    /// </summary>
    private void ReduceInChunks<T>(CollectiveCall call, ReductionArgs args, ReduceOp op, float* wide, bool wideIsScratch, T* output,
        CancellationToken cancellation) where T : unmanaged
    {
        long count = args.Count, chunkElements = ChunkElements * Topology.MinLocalSize;
        long chunks = (count + chunkElements - 1) / chunkElements;
        _partial.Get(count * sizeof(float)); // sized once for every chunk's partial (see ReduceOnHost)
        T* reduced = (T*)_whole.Get(count * sizeof(T));
        LanePipeline<T>? pipeline = Topology.LocalRank < Topology.MinLocalSize
            ? new LanePipeline<T>(this, call.Name, args, count / Topology.MinLocalSize + chunks, chunks, cancellation)
            : null;
        for (long start = 0; start < count; start += chunkElements)
        {
            long length = Math.Min(chunkElements, count - start);
            float* lane = ReduceOnHost(call, wide + start, wideIsScratch, length, op, cancellation, out long laneOffset, out long laneLength, partialOffset: start);
            if (pipeline is not null && laneLength > 0)
            {
                pipeline.Start(lane, laneLength, reduced + start + laneOffset);
                if (pipeline.Pending > 1)
                {
                    pipeline.FinishOldest();
                }
            }
        }
        pipeline?.Complete();
        for (long start = 0; start < count; start += chunkElements)
        {
            long length = Math.Min(chunkElements, count - start);
            T* ownLane = Topology.LocalRank < Topology.MinLocalSize ? reduced + start + Shards.Of(length, Topology.MinLocalSize, Topology.LocalRank).Offset : null;
            GatherLanesOnHost(call, ownLane, output + start, length, cancellation);
        }
    }

    /// <summary>Host-local all-gather-V of the lanes of <paramref name="count"/> elements: <paramref name="ownLane"/> is this
    /// rank's (null if it carries none); <paramref name="output"/> gets them all.</summary>
    private void GatherLanesOnHost<T>(CollectiveCall call, T* ownLane, T* output, long count, CancellationToken cancellation) where T : unmanaged
    {
        int carriers = Topology.MinLocalSize, localRank = Topology.LocalRank;
        var counts = new int[Topology.LocalSize];
        for (int j = 0; j < Math.Min(carriers, counts.Length); j++)
        {
            counts[j] = (int)Shards.Of(count, carriers, j).Length;
        }
        OnHost(call.Name, () => Local.AllGatherV(new ReadOnlySpan<T>(ownLane, counts[localRank]), new Span<T>(output, (int)count), counts, cancellation));
    }
}
