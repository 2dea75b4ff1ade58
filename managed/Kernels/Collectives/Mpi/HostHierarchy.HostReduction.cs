using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// The steps every reduction of the hierarchy is built from: widen to fp32, reduce inside the host by lanes, and reduce
/// each lane between hosts so that every host gets only its own piece (see the class remarks for the order).
/// </summary>
internal sealed unsafe partial class HostHierarchy
{
    /// <summary>Tag of the lane pieces exchanged between hosts on <see cref="_cross"/> (which carries nothing else point-to-point).</summary>
    private const int PieceTag = 5;

    /// <summary>The input as fp32, packed in host order when <paramref name="packing"/> says the order differs; the
    /// caller's own memory when it already is both (it then only feeds the host communicator, never MPI).</summary>
    private float* Widen(ReductionArgs args, HostOrderedShards? packing)
    {
        bool inRankOrder = packing is null || packing.InRankOrder;
        if (args.DType == kn_dtype.KN_F32 && inRankOrder)
        {
            return (float*)args.Input;
        }
        float* wide = (float*)_wide.Get(args.Count * sizeof(float));
        if (inRankOrder)
        {
            Native.Check(NativeMethods.kn_convert(args.DType, args.Input, kn_dtype.KN_F32, wide, (nuint)args.Count, 1f));
            return wide;
        }
        for (int rank = 0; rank < packing!.Lengths.Length; rank++)
        {
            Native.Check(NativeMethods.kn_convert(args.DType, args.Input + packing.Offsets[rank] * args.ElementSize, kn_dtype.KN_F32,
                wide + packing.PackedOffsets[rank], (nuint)packing.Lengths[rank], 1f));
        }
        return wide;
    }

    /// <summary>
    /// This host's fp32 partial of lane j = <see cref="Shards.Of"/>(count, m, j) for local rank j below m: a host-local
    /// reduce-scatter, or on a host with more than m ranks a reduce-scatter and all-gather (its extra ranks then carry no
    /// lane and get null); either way each element is summed in local-rank order;
    /// on a host of one rank, the input itself. The partial is in memory MPI may use (<see cref="_partial"/> or <see cref="_wide"/>).
    /// </summary>
    /// <param name="wideIsScratch"><paramref name="wide"/> is <see cref="_wide"/> (MPI may use it), not the caller's input.</param>
    /// <param name="partialOffset">Where in <see cref="_partial"/> the partial goes (chunks of one all-reduce use disjoint
    /// places, the caller having sized it for them all: it must not grow, which would drop the earlier chunks).</param>
    private float* ReduceOnHost(CollectiveCall call, float* wide, bool wideIsScratch, long count, ReduceOp op, CancellationToken cancellation,
        out long laneOffset, out long laneLength, long partialOffset = 0)
    {
        ReduceOp localOp = op == ReduceOp.Avg ? ReduceOp.Sum : op;
        int lanes = Topology.MinLocalSize, localRank = Topology.LocalRank;
        (laneOffset, laneLength) = localRank < lanes ? Shards.Of(count, lanes, localRank) : (0, 0);
        if (Topology.LocalSize == 1)
        {
            // Nothing to reduce on a host of one rank: only a copy into memory MPI may use, unless widening made one.
            if (wideIsScratch)
            {
                return wide;
            }
            float* copy = (float*)_partial.Get((partialOffset + count) * sizeof(float)) + partialOffset;
            Buffer.MemoryCopy(wide, copy, count * sizeof(float), count * sizeof(float));
            return copy;
        }
        if (Topology.LocalSize == lanes)
        {
            float* partial = (float*)_partial.Get((partialOffset + laneLength) * sizeof(float)) + partialOffset;
            long length = laneLength;
            OnHost(call.Name, () => Local.ReduceScatter(new ReadOnlySpan<float>(wide, (int)count), new Span<float>(partial, (int)length), localOp, cancellation));
            return partial;
        }
        // Reduce-scatter + all-gather rather than Local.AllReduce: the reduce-scatter sums every element in local-rank
        // order wherever it lies (a ring's order depends on the position), so all three reductions get the same bits.
        int localSize = Topology.LocalSize;
        (_, long shardLength) = Shards.Of(count, localSize, localRank);
        float* shard = (float*)_shard.Get(shardLength * sizeof(float));
        float* whole = (float*)_partial.Get((partialOffset + count) * sizeof(float)) + partialOffset;
        var counts = new int[localSize];
        for (int rank = 0; rank < localSize; rank++)
        {
            counts[rank] = (int)Shards.Of(count, localSize, rank).Length;
        }
        OnHost(call.Name, () => Local.ReduceScatter(new ReadOnlySpan<float>(wide, (int)count), new Span<float>(shard, (int)shardLength), localOp, cancellation));
        OnHost(call.Name, () => Local.AllGatherV(new ReadOnlySpan<float>(shard, (int)shardLength), new Span<float>(whole, (int)count), counts, cancellation));
        return localRank < lanes ? whole + laneOffset : null;
    }

    /// <summary>
    /// The reduce-scatter of one lane between hosts (over this local rank's <see cref="_cross"/>): host g's piece of the lane
    /// lies between <paramref name="bounds"/>[g] and [g + 1]; every host sends each other host that host's piece of its
    /// partial and receives the other hosts' partials of its own piece, which it reduces in host order
    /// <c>((h0 op h1) op h2) ...</c> in fp32, scales and rounds once to the element type. Returns that piece (in
    /// <see cref="_shard"/>). Each host thus receives (H-1)/H of a lane rather than (H-1) lanes.
    /// </summary>
    private T* ReduceAcrossHosts<T>(CollectiveCall call, ReductionArgs args, float* lane, long[] bounds, CancellationToken cancellation) where T : unmanaged
    {
        int hosts = Topology.HostCount, me = Topology.Host;
        long mine = bounds[me + 1] - bounds[me];
        float* slots = (float*)_gathered.Get(hosts * mine * sizeof(float));
        var sends = new List<(nint, long, int)>(hosts);
        var receives = new List<(nint, long, int)>(hosts);
        var sources = new nint[hosts];
        for (int host = 0; host < hosts; host++)
        {
            if (host == me)
            {
                sources[host] = (nint)(lane + bounds[me]);
                continue;
            }
            sends.Add(((nint)(lane + bounds[host]), bounds[host + 1] - bounds[host], host));
            receives.Add(((nint)(slots + host * mine), mine, host));
            sources[host] = (nint)(slots + host * mine);
        }
        Guard(() => _cross.ExchangeAll(call.Name, sends, receives, kmpi_dtype.KMPI_F32, PieceTag, _timeout, cancellation));
        T* piece = (T*)_shard.Get(mine * sizeof(T));
        ReducePiece(args, sources, slots + me * mine, piece, mine);
        return piece;
    }

    /// <summary>The host partials of one piece (<paramref name="sources"/>, in host order) reduced in fp32, scaled and rounded
    /// once into <paramref name="piece"/>; <paramref name="spare"/> (fp32, the length of a piece, overlapping no source) holds
    /// the fp32 result of a 16-bit reduction before rounding.</summary>
    private static void ReducePiece<T>(ReductionArgs args, nint[] sources, float* spare, T* piece, long length) where T : unmanaged
    {
        if (length == 0)
        {
            return;
        }
        if (args.DType == kn_dtype.KN_F32)
        {
            OrderedReduction.Reduce(kn_dtype.KN_F32, sizeof(float), args.NativeOp, sources, (byte*)piece, length, args.Scale);
            return;
        }
        OrderedReduction.Reduce(kn_dtype.KN_F32, sizeof(float), args.NativeOp, sources, (byte*)spare, length, args.Scale);
        Native.Check(NativeMethods.kn_convert(kn_dtype.KN_F32, spare, args.DType, piece, (nuint)length, 1f));
    }

    /// <summary>
    /// Reduce-scatter by arbitrary per-rank shards: the input packed in host order and reduced inside the host by lanes; each
    /// lane reduced between hosts so that a host gets only the part of it in its own region (<see cref="ReduceAcrossHosts"/>);
    /// then the host's lane pieces, which tile its region in local-rank order, all-gathered inside the host, from which each
    /// rank copies its shard to <paramref name="output"/>.
    /// </summary>
    private void ReduceToShards<T>(CollectiveCall call, ReductionArgs args, ReduceOp op, HostOrderedShards shards, T* output,
        CancellationToken cancellation) where T : unmanaged
    {
        long count = args.Count;
        if (count == 0)
        {
            return;
        }
        float* wide = Widen(args, shards);
        float* lane = ReduceOnHost(call, wide, wide != (float*)args.Input, count, op, cancellation, out long laneOffset, out long laneLength);
        int host = Topology.Host, lanes = Topology.MinLocalSize;
        var pieceCounts = new int[Topology.LocalSize];
        for (int j = 0; j < Math.Min(lanes, pieceCounts.Length); j++)
        {
            (long offset, long length) = Shards.Of(count, lanes, j);
            pieceCounts[j] = (int)shards.OverlapWithRegion(offset, length, host);
        }
        T* piece = null;
        if (lane is not null && laneLength > 0)
        {
            piece = ReduceAcrossHosts<T>(call, args, lane, shards.BoundsWithin(laneOffset, laneLength), cancellation);
        }
        long regionStart = shards.RegionStarts[host], regionLength = shards.RegionStarts[host + 1] - regionStart;
        T* region = piece;
        if (Topology.LocalSize > 1)
        {
            region = (T*)_whole.Get(regionLength * sizeof(T));
            T* gathered = region;
            int own = pieceCounts[Topology.LocalRank];
            OnHost(call.Name, () => Local.AllGatherV(new ReadOnlySpan<T>(piece, own), new Span<T>(gathered, (int)regionLength), pieceCounts, cancellation));
        }
        int rank = Topology.Rank;
        new ReadOnlySpan<T>(region + (shards.PackedOffsets[rank] - regionStart), (int)shards.Lengths[rank])
            .CopyTo(new Span<T>(output, (int)shards.Lengths[rank]));
    }
}
