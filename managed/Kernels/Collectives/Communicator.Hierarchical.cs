using System.Security.Cryptography;
using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Mpi;
using Kernels.Collectives.Protocol;
using Kernels.Interop;

namespace Kernels.Collectives;

/// <summary>
/// Jobs spanning several hosts (under mpirun, or MPICH's Hydra): the same public communicator, whose collectives run over
/// a <see cref="HostHierarchy"/> — shared memory inside a host, MPI between hosts. The algorithm call sites of the other
/// partial files go through the <c>Run*</c> dispatchers below, which pick the hierarchy when there is one.
/// </summary>
public sealed partial class Communicator
{
    private readonly HostHierarchy? _hierarchy;

    /// <summary>The public face of a hierarchy: shares the host communicator's transport and heap, so
    /// <see cref="AllocateBuffer{T}(int)"/> buffers live in this host's shared memory.</summary>
    private Communicator(HostHierarchy hierarchy, CommunicatorSettings settings)
    {
        _endpoint = hierarchy.Local._endpoint;
        _heap = hierarchy.Local._heap;
        _settings = settings;
        _hierarchy = hierarchy;
        _worker = new OrderedWorker($"kn-collectives rank {hierarchy.Topology.Rank}");
    }

    /// <summary>
    /// Joins an MPI job whose ranks span hosts (or simulated hosts, <c>KN_SIMULATED_HOSTS</c>): the ranks of each host
    /// form a shared-memory communicator, and local rank j of every host an MPI communicator for the traffic between hosts.
    /// </summary>
    private static unsafe Communicator CreateHierarchical(RankEnvironment environment, string? simulatedHosts, CommunicatorOptions? options)
    {
        CommunicatorSettings settings = CommunicatorSettings.FromProcessEnvironment(options);
        MpiProcess.EnsureInitialised();
        int rank = environment.Rank, size = environment.Size;
        long hostKey = simulatedHosts is not null ? HostTopology.SimulatedHostKey(simulatedHosts, rank, size) : -1;
        MpiLink world = Split(null, 0, rank, "world", settings.Timeout, [.. Enumerable.Range(0, size)], rank);
        try
        {
            if (hostKey < 0)
            {
                hostKey = LowestRankOnThisHost(world, rank, settings.Timeout);
            }
            var keys = new long[size];
            fixed (long* all = keys)
            {
                long* mine = &hostKey;
                world.AllGather("host discovery", mine, all, 2, kmpi_dtype.KMPI_I32, settings.Timeout, default); // a long as two 32-bit words
            }
            var topology = HostTopology.FromKeys(keys, rank);
            if (topology.LocalSize > MaxSize)
            {
                throw new ArgumentException($"{topology.LocalSize} ranks share host {topology.Host}; the shared-memory transport holds at most {MaxSize}.");
            }
            string jobId = SharedJobId(world, rank, settings.Timeout) + "-h" + topology.Host;
            int[] crossRanks = [.. topology.Members.Where(group => group.Length > topology.LocalRank).Select(group => group[topology.LocalRank])];
            MpiLink cross = Split(world, topology.LocalRank, topology.Host, "cross-host", settings.Timeout, crossRanks, Array.IndexOf(crossRanks, rank));
            Communicator local;
            try
            {
                local = CreateSharedMemory(topology.LocalRank, topology.LocalSize, jobId, options);
            }
            catch
            {
                cross.Dispose();
                throw;
            }
            if (settings.Debug)
            {
                Console.Error.WriteLine($"[kn] rank {rank}/{size}: host {topology.Host} of {topology.HostCount}, local rank {topology.LocalRank}/{topology.LocalSize}, job {jobId}");
            }
            return new Communicator(new HostHierarchy(local, world, cross, topology, settings.Timeout), settings);
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    /// <summary>A duplicate of MPI_COMM_WORLD (<paramref name="parent"/> null), else MPI_Comm_split of <paramref name="parent"/>.</summary>
    private static unsafe MpiLink Split(MpiLink? parent, int color, int key, string what, TimeSpan timeout, int[] ranks, int self)
    {
        void* made;
        lock (MpiProcess.Lock)
        {
            if (parent is null)
            {
                void* world;
                MpiStatus.Check(MpiShimMethods.kmpi_comm_world(&world), "kmpi_comm_world");
                kmpi_status status = MpiShimMethods.kmpi_comm_dup(world, &made);
                MpiShimMethods.kmpi_comm_free(&world);
                MpiStatus.Check(status, "kmpi_comm_dup");
            }
            else
            {
                MpiStatus.Check(MpiShimMethods.kmpi_comm_split(parent.Handle, color, key, &made), $"kmpi_comm_split ({what})");
            }
        }
        return new MpiLink(made, ranks, self);
    }

    /// <summary>The real host key: the lowest world rank among the ranks MPI says share this host's memory.</summary>
    private static unsafe long LowestRankOnThisHost(MpiLink world, int rank, TimeSpan timeout)
    {
        void* host;
        int hostSize;
        lock (MpiProcess.Lock)
        {
            MpiStatus.Check(MpiShimMethods.kmpi_comm_split_host(world.Handle, &host), "kmpi_comm_split_host");
            MpiStatus.Check(MpiShimMethods.kmpi_comm_size(host, &hostSize), "kmpi_comm_size");
        }
        using var link = new MpiLink(host, new int[hostSize], 0);
        var ranks = new int[hostSize];
        fixed (int* all = ranks)
        {
            link.AllGather("host discovery", &rank, all, 1, kmpi_dtype.KMPI_I32, timeout, default);
        }
        return ranks.Min();
    }

    /// <summary>World rank 0's random job id, broadcast: names the hosts' shared-memory files without any variable to set.</summary>
    private static unsafe string SharedJobId(MpiLink world, int rank, TimeSpan timeout)
    {
        const int Bytes = 12;
        byte* id = stackalloc byte[Bytes];
        if (rank == 0)
        {
            RandomNumberGenerator.Fill(new Span<byte>(id, Bytes));
        }
        world.Broadcast("job id", id, Bytes, kmpi_dtype.KMPI_BYTE, 0, timeout, default);
        return "mpi-" + Convert.ToHexString(new ReadOnlySpan<byte>(id, Bytes)).ToLowerInvariant();
    }

    private void RunReduceScatter<T>(CollectiveCall call, ReductionArgs args, CollectiveDescriptor descriptor) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.ReduceScatter<T>(call, args, descriptor);
        else
            ShardedReduceScatter.Run(call, args, descriptor);
    }

    private unsafe void RunAllGatherV<T>(CollectiveCall call, byte* input, byte* output, long[] counts, CollectiveDescriptor descriptor) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.AllGatherV(call, (T*)input, (T*)output, counts, descriptor);
        else
            Gather.AllGatherV(call, input, output, counts, sizeof(T), descriptor);
    }

    private unsafe void RunAllGatherInBuffers<T>(CollectiveCall call, long count, CollectiveDescriptor descriptor) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.AllGatherInBuffer(call, (T*)(call.Transport.HeapOf(call.Rank) + descriptor.BufferOffset), count, descriptor);
        else
            Gather.AllGatherInBuffers(call, count, sizeof(T), descriptor);
    }

    private unsafe void RunAllToAllV<T>(CollectiveCall call, byte* send, byte* receive, long[] matrix, CollectiveDescriptor descriptor) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.AllToAllV(call, (T*)send, (T*)receive, matrix, descriptor);
        else
            Exchange.AllToAllV(call, send, receive, matrix, sizeof(T), descriptor);
    }

    private unsafe void RunBroadcast<T>(CollectiveCall call, byte* data, long count, int root, CollectiveDescriptor descriptor) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.Broadcast(call, (T*)data, count, root, descriptor);
        else
            BroadcastFromRoot.Run(call, data, count, sizeof(T), root, descriptor);
    }

    private void RunBarrier(CollectiveCall call, CollectiveDescriptor descriptor)
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.Barrier(call, descriptor);
        else
            call.Arrive(descriptor);
    }

    private unsafe void RunFused<T>(CollectiveCall call, kn_dtype dtype, byte* x, byte* residual, byte* weight, byte* y, long rows, int cols, float eps,
        CollectiveDescriptor descriptor) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
            hierarchy.AllReduceAddRmsNorm(call, dtype, (T*)x, (T*)residual, (T*)weight, (T*)y, rows, cols, eps, descriptor);
        else
            FusedAddRmsNorm.Run(call, dtype, sizeof(T), x, residual, weight, y, rows, cols, eps, descriptor);
    }

    /// <summary>Point-to-point with a peer on this host runs over shared memory (as its local rank); across hosts over MPI.</summary>
    private unsafe void RunSend<T>(CollectiveCall call, int peer, byte* data, long count) where T : unmanaged
    {
        if (IsInHost(peer, out int hostPeer))
            PointToPoint.Send(call, hostPeer, data, count, sizeof(T), ElementTag<T>.Value);
        else
            _hierarchy!.Send(call, peer, data, count, sizeof(T), ElementTag<T>.Value);
    }

    private unsafe void RunReceive<T>(CollectiveCall call, int peer, byte* data, long count) where T : unmanaged
    {
        if (IsInHost(peer, out int hostPeer))
            PointToPoint.Receive(call, hostPeer, data, count, sizeof(T), ElementTag<T>.Value);
        else
            _hierarchy!.Receive(call, peer, data, count, sizeof(T), ElementTag<T>.Value);
    }

    /// <summary>Whether <paramref name="peer"/> is reached over this host's transport, and its rank there (itself without a
    /// hierarchy, its local rank with one); false: across hosts, over MPI.</summary>
    private bool IsInHost(int peer, out int hostPeer)
    {
        if (_hierarchy is { } hierarchy)
            return hierarchy.IsLocal(peer, out hostPeer);
        hostPeer = peer;
        return true;
    }
}
