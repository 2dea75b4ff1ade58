using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>All-gather(V), broadcast and barrier across hosts.</summary>
internal sealed unsafe partial class HostHierarchy
{
    /// <summary>All-gather-V over the hierarchy: host blocks over shared memory, blocks between hosts over MPI (local rank 0), then
    /// a host-local broadcast and the reordering from host order to rank order.</summary>
    internal void AllGatherV<T>(CollectiveCall call, T* input, T* output, long[] counts, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        GatherV(call, input, output, counts, tokens.Token);
    }

    /// <summary>The in-place buffer all-gather: every rank's shard of its own buffer, gathered into every buffer.</summary>
    internal void AllGatherInBuffer<T>(CollectiveCall call, T* buffer, long count, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        var counts = new long[Topology.Size];
        for (int rank = 0; rank < counts.Length; rank++)
        {
            counts[rank] = Shards.Of(count, Topology.Size, rank).Length;
        }
        (long offset, long length) = Shards.Of(count, Topology.Size, Topology.Rank);
        T* own = (T*)_shard.Get(length * sizeof(T));
        new ReadOnlySpan<T>(buffer + offset, (int)length).CopyTo(new Span<T>(own, (int)length));
        GatherV(call, own, buffer, counts, tokens.Token);
    }

    private void GatherV<T>(CollectiveCall call, T* input, T* output, long[] counts, CancellationToken cancellation) where T : unmanaged
    {
        int[] members = Topology.Members[Topology.Host];
        int[] localCounts = [.. members.Select(rank => (int)counts[rank])];
        long hostTotal = localCounts.Sum(count => (long)count);
        T* hostBlock = (T*)_partial.Get(hostTotal * sizeof(T));
        OnHost(call.Name, () => Local.AllGatherV(new ReadOnlySpan<T>(input, (int)counts[Topology.Rank]), new Span<T>(hostBlock, (int)hostTotal), localCounts, cancellation));

        long total = counts.Sum();
        T* inHostOrder = (T*)_gathered.Get(total * sizeof(T));
        if (Topology.LocalRank == 0)
        {
            (kmpi_dtype type, int wordsPerElement) = MpiWords.Of<T>();
            long[] hostWords = [.. Topology.Members.Select(group => group.Sum(rank => counts[rank]) * wordsPerElement)];
            Guard(() => _cross.AllGatherV(call.Name, hostBlock, inHostOrder, hostWords, Topology.Host, type, _timeout, cancellation));
        }
        OnHost(call.Name, () => Local.Broadcast(new Span<T>(inHostOrder, (int)total), 0, cancellation));

        var rankOffsets = new long[counts.Length];
        for (int rank = 1; rank < counts.Length; rank++)
        {
            rankOffsets[rank] = rankOffsets[rank - 1] + counts[rank - 1];
        }
        long cursor = 0;
        foreach (int[] group in Topology.Members)
        {
            foreach (int rank in group)
            {
                new ReadOnlySpan<T>(inHostOrder + cursor, (int)counts[rank]).CopyTo(new Span<T>(output + rankOffsets[rank], (int)counts[rank]));
                cursor += counts[rank];
            }
        }
    }

    /// <summary>Root's host broadcasts locally; local rank 0 of every host joins an MPI broadcast from the root's host; the other hosts then broadcast locally.</summary>
    internal void Broadcast<T>(CollectiveCall call, T* data, long count, int root, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        int rootHost = Topology.HostOf[root];
        T* staged = (T*)_shard.Get(count * sizeof(T));
        (kmpi_dtype type, int wordsPerElement) = MpiWords.Of<T>();
        if (Topology.Host == rootHost)
        {
            OnHost(call.Name, () => Local.Broadcast(new Span<T>(data, (int)count), Topology.LocalRankOf[root], tokens.Token));
        }
        if (Topology.LocalRank == 0)
        {
            new Span<T>(data, (int)count).CopyTo(new Span<T>(staged, (int)count));
            Guard(() => _cross.Broadcast(call.Name, staged, count * wordsPerElement, type, rootHost, _timeout, tokens.Token));
            new Span<T>(staged, (int)count).CopyTo(new Span<T>(data, (int)count));
        }
        if (Topology.Host != rootHost)
        {
            OnHost(call.Name, () => Local.Broadcast(new Span<T>(data, (int)count), 0, tokens.Token));
        }
    }

    /// <summary>A barrier is the descriptor all-gather: no rank leaves it before every rank has arrived.</summary>
    internal void Barrier(CollectiveCall call, CollectiveDescriptor descriptor)
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
    }
}
