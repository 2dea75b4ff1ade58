using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// The collectives of a job spanning several hosts: shared memory (<see cref="Local"/>, a communicator of this host's
/// ranks) inside a host, MPI between hosts. Local rank j below <see cref="HostTopology.MinLocalSize"/> (m) carries
/// shard j of m over <see cref="_cross"/>, the MPI communicator of local rank j on every host, in host order.
/// </summary>
/// <remarks>
/// <para>All-reduce (NCCL/Horovod hierarchical scheme): 16-bit inputs widened to fp32; host-local reduce-scatter by m
/// shards (all-reduce where the host has more than m ranks) in fp32; all-gather of each shard's host partials over MPI
/// and their reduction in host order <c>((h0 op h1) op h2) ...</c> with libkernels, scaled (Avg) and rounded once to the
/// element type; host-local all-gather of the shards. Every rank of every host gets the same bits. Between hosts this
/// moves (H-1) shards in rather than MPI_Allreduce's 2(H-1)/H: the same at 2 hosts, and the price of a fixed order.</para>
/// <para>Every collective first all-gathers its descriptor through the hierarchy, so ranks on different hosts that disagree
/// all throw the same <see cref="CollectiveMismatchException"/> before data moves. Data between hosts travels only through
/// <see cref="NativeScratch"/> memory (see there); the world MPI communicator carries only Send/Recv between hosts.</para>
/// </remarks>
internal sealed unsafe class HostHierarchy : IDisposable
{
    private const int HeaderTag = 1, AnswerTag = 2, DataTag = 3;
    private const long ChunkBytes = 1L << 30;

    private readonly MpiLink _world;
    private readonly MpiLink _cross;
    private readonly TimeSpan _timeout;
    private readonly NativeScratch _headers = new(), _wide = new(), _partial = new(), _gathered = new(), _shard = new(), _whole = new();
    private ulong _sequence;
    private bool _abandoned;

    internal HostHierarchy(Communicator local, MpiLink world, MpiLink cross, HostTopology topology, TimeSpan timeout)
    {
        Local = local;
        _world = world;
        _cross = cross;
        Topology = topology;
        _timeout = timeout;
    }

    /// <summary>This host's ranks over shared memory.</summary>
    internal Communicator Local { get; }

    internal HostTopology Topology { get; }

    /// <summary>
    /// Every rank's descriptor, gathered through the hierarchy (so a dead peer on this host is seen at once by the host
    /// communicator) and compared: a disagreement throws on every rank alike, before any data moves.
    /// </summary>
    private void Agree(CollectiveCall call, CollectiveDescriptor mine, CancellationToken cancellation)
    {
        mine.Sequence = ++_sequence;
        var all = new CollectiveDescriptor[Topology.Size];
        var one = new long[Topology.Size];
        Array.Fill(one, 1);
        fixed (CollectiveDescriptor* gathered = all)
        {
            GatherV(call, &mine, gathered, one, cancellation);
        }
        DescriptorCheck.VerifyAgreement(all, mine.Sequence);
    }

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

    /// <summary>All-to-all-V as an all-gather-V of every rank's whole send buffer, from which each rank keeps its column:
    /// n times the bytes of a direct exchange, used only by the sparse reduce-scatter.</summary>
    internal void AllToAllV<T>(CollectiveCall call, T* send, T* receive, long[] matrix, CollectiveDescriptor descriptor) where T : unmanaged
    {
        using CancellationTokenSource tokens = Tokens(call);
        Agree(call, descriptor, tokens.Token);
        int size = Topology.Size, me = Topology.Rank;
        var rows = new long[size];
        for (int p = 0; p < size; p++)
        {
            for (int q = 0; q < size; q++)
            {
                rows[p] += matrix[p * size + q];
            }
        }
        T* all = (T*)_whole.Get(rows.Sum() * sizeof(T));
        GatherV(call, send, all, rows, tokens.Token);
        long start = 0, written = 0;
        for (int p = 0; p < size; p++)
        {
            long before = 0;
            for (int q = 0; q < me; q++)
            {
                before += matrix[p * size + q];
            }
            int mine = (int)matrix[p * size + me];
            new ReadOnlySpan<T>(all + start + before, mine).CopyTo(new Span<T>(receive + written, mine));
            written += mine;
            start += rows[p];
        }
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

    /// <summary>True when <paramref name="peer"/> is on this host: Send/Recv then run over shared memory, as local rank <paramref name="localPeer"/>.</summary>
    internal bool IsLocal(int peer, out int localPeer)
    {
        localPeer = Topology.LocalRankOf[peer];
        return Topology.HostOf[peer] == Topology.Host;
    }

    /// <summary>
    /// Send to a peer on another host: a header (count, element size and type), the receiver's answer (accepted or not, so both
    /// sides throw the same mismatch), then the data in chunks of at most 1 GiB; returns once MPI has sent it all.
    /// </summary>
    internal void Send(CollectiveCall call, int peer, byte* data, long count, int elementSize, int elementTag)
    {
        using CancellationTokenSource tokens = Tokens(call);
        long* header = (long*)_headers.Get(6 * sizeof(long));
        long* answer = header + 3;
        header[0] = count;
        header[1] = elementSize;
        header[2] = elementTag;
        Guard(() => _world.Exchange(call.Name, header, 3 * sizeof(long), peer, HeaderTag, answer, 3 * sizeof(long), peer, AnswerTag, _timeout, tokens.Token));
        if (answer[0] != 1)
        {
            throw PointToPointMismatch(call.Name, peer, answer[1], (int)answer[2], count, elementTag);
        }
        long bytes = count * elementSize;
        byte* staged = _whole.Get(Math.Min(bytes, ChunkBytes));
        for (long offset = 0; offset < bytes; offset += ChunkBytes)
        {
            long chunk = Math.Min(ChunkBytes, bytes - offset);
            new ReadOnlySpan<byte>(data + offset, (int)chunk).CopyTo(new Span<byte>(staged, (int)chunk));
            Guard(() => _world.Exchange(call.Name, staged, chunk, peer, DataTag, null, 0, 0, 0, _timeout, tokens.Token));
        }
    }

    /// <summary>Receive from a peer on another host; the sender's header is checked before anything is written to <paramref name="data"/>.</summary>
    internal void Receive(CollectiveCall call, int peer, byte* data, long count, int elementSize, int elementTag)
    {
        using CancellationTokenSource tokens = Tokens(call);
        long* header = (long*)_headers.Get(6 * sizeof(long));
        long* answer = header + 3;
        Guard(() => _world.Exchange(call.Name, null, 0, 0, 0, header, 3 * sizeof(long), peer, HeaderTag, _timeout, tokens.Token));
        bool accepted = header[0] == count && header[1] == elementSize && header[2] == elementTag;
        answer[0] = accepted ? 1 : 0;
        answer[1] = count;
        answer[2] = elementTag;
        Guard(() => _world.Exchange(call.Name, answer, 3 * sizeof(long), peer, AnswerTag, null, 0, 0, 0, _timeout, tokens.Token));
        if (!accepted)
        {
            throw PointToPointMismatch(call.Name, peer, header[0], (int)header[2], count, elementTag);
        }
        long bytes = count * elementSize;
        byte* staged = _whole.Get(Math.Min(bytes, ChunkBytes));
        for (long offset = 0; offset < bytes; offset += ChunkBytes)
        {
            long chunk = Math.Min(ChunkBytes, bytes - offset);
            Guard(() => _world.Exchange(call.Name, null, 0, 0, 0, staged, chunk, peer, DataTag, _timeout, tokens.Token));
            new ReadOnlySpan<byte>(staged, (int)chunk).CopyTo(new Span<byte>(data + offset, (int)chunk));
        }
    }

    private static CollectiveMismatchException PointToPointMismatch(string operation, int peer, long peerCount, int peerTag, long count, int tag) =>
        peerTag != tag
            ? new CollectiveMismatchException(operation, "ElementType", [peer], $"rank {peer} has tag 0x{peerTag:X8}, this rank 0x{tag:X8}")
            : new CollectiveMismatchException(operation, "Count", [peer], $"rank {peer} has {peerCount} elements, this rank {count}");

    /// <summary>Runs a collective of this host's communicator; its failures name ranks of the host, renamed here to the job's.</summary>
    private void OnHost(string operation, Action collective)
    {
        try
        {
            collective();
        }
        catch (PeerLostException lost)
        {
            throw new PeerLostException($"{operation} ({lost.Operation} on this host)", ToJob(lost.LostRanks),
                $"seen by this host's shared-memory communicator: {lost.Message}");
        }
        catch (CollectiveTimeoutException late)
        {
            throw new CollectiveTimeoutException($"{operation} ({late.Operation} on this host)", ToJob(late.MissingRanks), late.Timeout);
        }
    }

    private int[] ToJob(IReadOnlyList<int> localRanks) => [.. localRanks.Select(local => Topology.Members[Topology.Host][local])];

    /// <summary>Runs an MPI phase; if it gives up (deadline, cancellation, MPI error) its scratch may still be in MPI's hands.</summary>
    private void Guard(Action phase)
    {
        try
        {
            phase();
        }
        catch
        {
            _abandoned = true;
            throw;
        }
    }

    private static CancellationTokenSource Tokens(CollectiveCall call) =>
        CancellationTokenSource.CreateLinkedTokenSource(call.Cancellation, call.Disposal);

    /// <summary>Leaves the job: the host communicator first (peers on this host see it closed), then the MPI handles, unless
    /// an abandoned MPI operation may still use them.</summary>
    public void Dispose()
    {
        Local.Dispose();
        if (!_abandoned)
        {
            _cross.Dispose();
            _world.Dispose();
        }
        foreach (NativeScratch scratch in new[] { _headers, _wide, _partial, _gathered, _shard, _whole })
        {
            scratch.Release(_abandoned);
        }
    }
}
