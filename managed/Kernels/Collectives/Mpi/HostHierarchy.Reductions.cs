using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Mpi;

/// <summary>All-reduce and what is built on it: reduce-scatter and the fused add + RMSNorm (see the class remarks).</summary>
internal sealed unsafe partial class HostHierarchy
{
    internal void AllReduce<T>(CollectiveCall call, ReductionArgs args, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        Reduce<T>(call, args, (ReduceOp)descriptor.Op, (T*)args.Output, tokens.Token);
    }

    /// <summary>The all-reduce into scratch, then this rank's shard copied out (in place for a buffer).</summary>
    internal void ReduceScatter<T>(CollectiveCall call, ReductionArgs args, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        T* whole = (T*)_whole.Get(args.Count * sizeof(T));
        Reduce<T>(call, args, (ReduceOp)descriptor.Op, whole, tokens.Token);
        (long offset, long length) = Shards.Of(args.Count, Topology.Size, Topology.Rank);
        T* output = descriptor.BufferOffset >= 0 ? (T*)args.Output + offset : (T*)args.Output;
        new ReadOnlySpan<T>(whole + offset, (int)length).CopyTo(new Span<T>(output, (int)length));
    }

    /// <summary>The all-reduce followed by residual add + RMSNorm of every row on every rank (the same bits everywhere).</summary>
    internal void AllReduceAddRmsNorm<T>(CollectiveCall call, kn_dtype dtype, T* x, T* residual, T* weight, T* y, long rows, long cols, float eps,
        CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        long count = rows * cols;
        T* sum = (T*)_whole.Get(count * sizeof(T));
        var args = new ReductionArgs(dtype, sizeof(T), kn_reduce_op.KN_OP_SUM, 1f, count, (byte*)x, (byte*)sum);
        Reduce<T>(call, args, ReduceOp.Sum, sum, tokens.Token);
        if (count > 0)
        {
            Native.Check(NativeMethods.kn_add_rms_norm(dtype, sum, residual, weight, y, (nuint)rows, (nuint)cols, eps));
        }
    }

    private void Reduce<T>(CollectiveCall call, ReductionArgs args, ReduceOp op, T* output, CancellationToken cancellation) where T : unmanaged
    {
        long count = args.Count;
        if (count == 0)
        {
            return;
        }
        ReduceOp localOp = op == ReduceOp.Avg ? ReduceOp.Sum : op;
        float* wide = (float*)args.Input;
        if (args.DType != kn_dtype.KN_F32)
        {
            wide = (float*)_wide.Get(count * sizeof(float));
            Native.Check(NativeMethods.kn_convert(args.DType, args.Input, kn_dtype.KN_F32, wide, (nuint)count, 1f));
        }
        int shards = Topology.MinLocalSize, localRank = Topology.LocalRank;
        (long offset, long length) = localRank < shards ? Shards.Of(count, shards, localRank) : (0, 0);
        float* partial;
        if (Topology.LocalSize == shards)
        {
            partial = (float*)_partial.Get(length * sizeof(float));
            float* into = partial;
            OnHost(call.Name, () => Local.ReduceScatter(new ReadOnlySpan<float>(wide, (int)count), new Span<float>(into, (int)length), localOp, cancellation));
        }
        else
        {
            float* whole = (float*)_partial.Get(count * sizeof(float));
            OnHost(call.Name, () => Local.AllReduce(new ReadOnlySpan<float>(wide, (int)count), new Span<float>(whole, (int)count), localOp, cancellation));
            partial = whole + offset;
        }

        T* shard = (T*)_shard.Get(length * sizeof(T));
        if (localRank < shards && length > 0)
        {
            int hosts = Topology.HostCount;
            float* gathered = (float*)_gathered.Get(length * sizeof(float) * hosts);
            Guard(() => _cross.AllGather(call.Name, partial, gathered, length, kmpi_dtype.KMPI_F32, _timeout, cancellation));
            var sources = new nint[hosts];
            for (int host = 0; host < hosts; host++)
            {
                sources[host] = (nint)(gathered + host * length);
            }
            // fp32 in host order, scaled, into the first host's slot; then rounded once to the element type.
            OrderedReduction.Reduce(kn_dtype.KN_F32, sizeof(float), args.NativeOp, sources, (byte*)gathered, length, args.Scale);
            Native.Check(NativeMethods.kn_convert(kn_dtype.KN_F32, gathered, args.DType, shard, (nuint)length, 1f));
        }

        var counts = new int[Topology.LocalSize];
        for (int j = 0; j < Math.Min(shards, counts.Length); j++)
        {
            counts[j] = (int)Shards.Of(count, shards, j).Length;
        }
        OnHost(call.Name, () => Local.AllGatherV(new ReadOnlySpan<T>(shard, counts[localRank]), new Span<T>(output, (int)count), counts, cancellation));
    }
}
