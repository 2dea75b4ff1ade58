using Kernels.Collectives;
using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// Our own GPU collective: all-reduce (Sum) fused with the residual add and RMSNorm that follow it, for the GPUs of one
/// node with peer access, one process per GPU (cuda/fused_allreduce_norm.cu). Same semantics as
/// <see cref="Communicator.AllReduceAddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, float, CancellationToken)"/>:
/// <c>residual = round(round(x_0 + ... + x_(n-1)) + residual)</c>, <c>y = RMSNorm(residual) * weight</c>, sums in rank
/// order in fp32, so every rank gets the same bits.
/// </summary>
/// <remarks>
/// <para>Created collectively from a host <see cref="Communicator"/>: each rank allocates a workspace on its device,
/// exports it (cuIpcGetMemHandle), the handles are all-gathered through the host communicator and every rank maps
/// the others' (cuIpcOpenMemHandle). Requires every pair of the ranks' devices to have peer access
/// (cuDeviceCanAccessPeer), else <see cref="NotSupportedException"/> on every rank.</para>
/// <para>Messages of at most <see cref="OneShotLimitBytes"/> use one-shot (every GPU reduces all rows from all peers:
/// one barrier before, one after); larger ones two-shot (each GPU reduces and normalises its row shard, then all
/// gather the normalised and residual rows: three barriers, 1/n of the reduction work each).</para>
/// <para>Failures: the kernel's waits on peers give up after about <see cref="Communicator.Timeout"/> and record the
/// missing rank; <see cref="Synchronize"/> or <see cref="SynchronizeAsync"/> turns that into <see cref="PeerLostException"/>,
/// so a dead peer never hangs the GPU. The communicator is then faulted.</para>
/// </remarks>
public sealed unsafe class CudaFusedAllReduce : IDisposable
{
    /// <summary>Most ranks the kernel's flag slots cover (kn::kFusedMaxRanks).</summary>
    public const int MaxRanks = FusedNormKernelArgs.MaxRanks;

    /// <summary>Largest capacity: the workspace (flags plus three message-sized regions) is one DeviceBuffer of at most
    /// int.MaxValue bytes.</summary>
    public const long MaxCapacityBytes = (int.MaxValue - DataOffset) / 3;

    // Layout constants of cuda/fused_allreduce_norm.cu's workspace.
    private const int MaxBlocks = 128, Phases = 3;
    private const long FlagWords = (long)Phases * MaxBlocks * MaxRanks;
    private const long DataOffset = ((FlagWords + 1) * 4 + 255) & ~255L;
    private const uint ThreadsPerBlock = 256;

    private readonly DeviceBuffer<byte> _workspace;
    private readonly ulong[] _peers;     // every rank's workspace as this rank maps it
    private readonly uint _timeoutPolls;
    private uint _epoch;
    private Exception? _fault;
    private bool _disposed;

    private CudaFusedAllReduce(CudaDevice device, DeviceBuffer<byte> workspace, ulong[] peers, int rank, long capacityBytes, TimeSpan timeout,
        long oneShotLimitBytes)
    {
        Device = device;
        _workspace = workspace;
        _peers = peers;
        Rank = rank;
        CapacityBytes = capacityBytes;
        OneShotLimitBytes = oneShotLimitBytes;
        // The kernel sleeps about 1 us between polls.
        _timeoutPolls = (uint)Math.Clamp(timeout.TotalMicroseconds, 1, uint.MaxValue);
    }

    /// <summary>This rank.</summary>
    public int Rank { get; }
    /// <summary>Number of ranks.</summary>
    public int Size => _peers.Length;
    /// <summary>The device every buffer and stream must be on.</summary>
    public CudaDevice Device { get; }
    /// <summary>Largest <c>x</c> in bytes a call may pass (the workspace size chosen at creation).</summary>
    public long CapacityBytes { get; }
    /// <summary>Messages up to this many bytes take the one-shot algorithm, larger ones two-shot.</summary>
    public long OneShotLimitBytes { get; }

    /// <summary>
    /// Creates this rank's side; every rank of <paramref name="host"/> calls it with the same
    /// <paramref name="capacityBytes"/>. Checks, in order: <paramref name="host"/>, <paramref name="capacityBytes"/>,
    /// the world size, <paramref name="oneShotLimitBytes"/>, then <paramref name="device"/>.
    /// </summary>
    /// <param name="host">The rendezvous; its ranks are processes on one node, one per GPU.</param>
    /// <param name="device">This rank's GPU; distinct from every other rank's.</param>
    /// <param name="capacityBytes">Largest message (rows x cols x element size) the calls will pass.</param>
    /// <param name="oneShotLimitBytes">Switch point from one-shot to two-shot. One-shot reads n copies of every row but
    /// meets its peers twice; two-shot reads 1/n of the rows n times and meets them three times, so it wins for large
    /// messages. The default (256 KiB) is a starting point that has not been measured (no GPU where this was written):
    /// tune it on the target machine.</param>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> or <paramref name="device"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacityBytes"/> is not positive or above
    /// <see cref="MaxCapacityBytes"/>, or <paramref name="oneShotLimitBytes"/> is negative.</exception>
    /// <exception cref="ArgumentException">The host communicator has more than <see cref="MaxRanks"/> ranks.</exception>
    /// <exception cref="NotSupportedException">Two ranks share a device, or a pair of devices lacks peer access.</exception>
    /// <exception cref="CudaUnavailableException">No driver or no device.</exception>
    public static CudaFusedAllReduce Create(Communicator host, CudaDevice device, long capacityBytes, long oneShotLimitBytes = 256 * 1024)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityBytes, MaxCapacityBytes);
        if (host.Size > MaxRanks)
            throw new ArgumentException($"has {host.Size} ranks; the fused GPU all-reduce supports at most {MaxRanks}", nameof(host));
        ArgumentOutOfRangeException.ThrowIfNegative(oneShotLimitBytes);
        ArgumentNullException.ThrowIfNull(device);
        RequirePeerAccess(host, device);

        var workspace = DeviceBuffer<byte>.Allocate(device, (int)(DataOffset + 3 * capacityBytes));
        var mapped = new List<ulong>();
        try
        {
            device.MakeCurrent();
            // Zero flags and status: epochs start at 1, so no slot looks already signalled.
            CudaDriver.Check(CudaDriverMethods.cuMemsetD8_v2(workspace.Pointer, 0, (nuint)workspace.Length), "cuMemsetD8");
            CUipcMemHandle own;
            CudaDriver.Check(CudaDriverMethods.cuIpcGetMemHandle(&own, workspace.Pointer), "cuIpcGetMemHandle");
            var handles = new CUipcMemHandle[host.Size];
            fixed (CUipcMemHandle* all = handles)
                host.AllGather(new ReadOnlySpan<byte>(&own, sizeof(CUipcMemHandle)), new Span<byte>(all, handles.Length * sizeof(CUipcMemHandle)));
            var peers = new ulong[host.Size];
            for (int r = 0; r < host.Size; r++)
            {
                if (r == host.Rank)
                {
                    peers[r] = workspace.Pointer;
                    continue;
                }
                ulong pointer;
                const uint LazyEnablePeerAccess = 1; // CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS
                CudaDriver.Check(CudaDriverMethods.cuIpcOpenMemHandle_v2(&pointer, handles[r], LazyEnablePeerAccess), $"cuIpcOpenMemHandle(rank {r})");
                mapped.Add(pointer);
                peers[r] = pointer;
            }
            // Nobody launches before every rank has mapped every workspace.
            host.Barrier();
            return new CudaFusedAllReduce(device, workspace, peers, host.Rank, capacityBytes, host.Timeout, oneShotLimitBytes);
        }
        catch
        {
            foreach (ulong pointer in mapped)
                CudaDriverMethods.cuIpcCloseMemHandle(pointer);
            workspace.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Queues the fused all-reduce + add + RMSNorm on <paramref name="stream"/>. Every rank calls it with the same shape;
    /// call <see cref="Synchronize"/> (not only the stream's) to turn a lost peer into an exception.
    /// </summary>
    /// <param name="x">This rank's partial result, (rows, cols); read only.</param>
    /// <param name="residual">Same length and the same values on every rank; updated in place.</param>
    /// <param name="weight"><paramref name="cols"/> elements.</param>
    /// <param name="y">Same length as <paramref name="x"/>; may be <paramref name="x"/>.</param>
    /// <param name="cols">Row width, at least 1.</param>
    /// <param name="eps">Finite and positive.</param>
    /// <param name="stream">A stream on <see cref="Device"/>.</param>
    /// <exception cref="ArgumentException">A shape, length or eps rule is broken (the message says which), the message exceeds
    /// <see cref="CapacityBytes"/>, or a buffer or the stream is on another device.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public void AllReduceAddRmsNorm<T>(DeviceBuffer<T> x, DeviceBuffer<T> residual, DeviceBuffer<T> weight, DeviceBuffer<T> y, int cols, float eps,
        CudaStream stream) where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(residual);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(y);
        long bytes = CheckShape(x.Length, residual.Length, weight.Length, y.Length, cols, eps, sizeof(T), CapacityBytes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault != null)
            throw new CommunicatorFaultedException(Rank, _fault);
        ArgumentNullException.ThrowIfNull(stream);
        Device.RequireSame(stream.Device, nameof(stream));

        var args = new FusedNormKernelArgs
        {
            X = DeviceArguments.Pointer(x, stream, nameof(x)),
            Residual = DeviceArguments.Pointer(residual, stream, nameof(residual)),
            Weight = DeviceArguments.Pointer(weight, stream, nameof(weight)),
            Y = DeviceArguments.Pointer(y, stream, nameof(y)),
            Rows = (ulong)(x.Length / cols),
            Cols = (ulong)cols,
            Eps = eps,
            Rank = (uint)Rank,
            World = (uint)Size,
            TimeoutPolls = _timeoutPolls,
        };
        for (int r = 0; r < Size; r++)
            args.Workspaces[r] = _peers[r];
        if (x.Length == 0)
            return;
        _epoch = _epoch == uint.MaxValue ? 1 : _epoch + 1; // 0 is the zeroed slots' value
        args.Epoch = _epoch;

        bool oneShot = bytes <= OneShotLimitBytes;
        long rowsPerBlockRange = oneShot ? x.Length / cols : (x.Length / cols + Size - 1) / Size;
        uint grid = (uint)Math.Clamp(rowsPerBlockRange, 1, Math.Min(MaxBlocks, 2 * Device.MultiprocessorCount));
        string kernel = oneShot ? "kn::fused_allreduce_norm_one_shot" : "kn::fused_allreduce_norm_two_shot";
        Device.Kernels.Get(CudaKernelSources.FusedAllReduceNorm, $"{kernel}<{storage}>")
            .Launch(stream, CudaLaunchShape.Linear(grid, ThreadsPerBlock), args);
    }

    /// <summary>Waits for <paramref name="stream"/>, then reads this rank's status word.</summary>
    /// <exception cref="PeerLostException">A peer did not reach a barrier in time; the exception names it.</exception>
    public void Synchronize(CudaStream stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(stream);
        Device.RequireSame(stream.Device, nameof(stream));
        stream.Synchronize();
        ThrowIfPeerLost();
    }

    /// <summary><see cref="Synchronize"/> without holding a thread: polls the stream every millisecond on the thread pool.</summary>
    /// <exception cref="PeerLostException">A peer did not reach a barrier in time; the exception names it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the queued work goes on).</exception>
    public Task SynchronizeAsync(CudaStream stream, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(stream);
        Device.RequireSame(stream.Device, nameof(stream));
        return CompletionPolling.UntilAsync(() => Finished(stream), cancellationToken);
    }

    private bool Finished(CudaStream stream)
    {
        void* handle = stream.Handle;
        Device.MakeCurrent();
        CUresult done = CudaDriverMethods.cuStreamQuery(handle);
        if (done == CUresult.CUDA_ERROR_NOT_READY)
            return false;
        CudaDriver.Check(done, "cuStreamQuery");
        ThrowIfPeerLost();
        return true;
    }

    /// <summary>Reads this rank's status word (the kernels' queued work has finished): nonzero names the peer that was lost.</summary>
    private void ThrowIfPeerLost()
    {
        uint status;
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriverMethods.cuMemcpyDtoH_v2(&status, _workspace.Pointer + (ulong)(FlagWords * 4), 4), "cuMemcpyDtoH(status)");
        if (status != 0)
        {
            _fault = new PeerLostException("CudaFusedAllReduce", [(int)status - 1], "its GPU did not reach a barrier within the timeout");
            throw _fault;
        }
    }

    /// <summary>Unmaps the peers' workspaces and frees this rank's. Peers should have synchronised first.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Device.MakeCurrent();
        for (int r = 0; r < Size; r++)
            if (r != Rank)
                CudaDriverMethods.cuIpcCloseMemHandle(_peers[r]);
        _workspace.Dispose();
    }

    /// <summary>The pure shape rules of <see cref="AllReduceAddRmsNorm{T}"/>, checked before anything touches a device; returns x's bytes.</summary>
    internal static long CheckShape(int xLength, int residualLength, int weightLength, int yLength, int cols, float eps, int elementSize, long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (!float.IsFinite(eps) || eps <= 0)
            throw new ArgumentException($"must be finite and positive, was {eps}", nameof(eps));
        if (xLength % cols != 0)
            throw new ArgumentException($"has {xLength} elements, not a whole number of rows of {cols}", "x");
        if (residualLength != xLength)
            throw new ArgumentException($"has {residualLength} elements but x has {xLength}", "residual");
        if (yLength != xLength)
            throw new ArgumentException($"has {yLength} elements but x has {xLength}", "y");
        if (weightLength != cols)
            throw new ArgumentException($"has {weightLength} elements; it must have cols ({cols})", "weight");
        long bytes = (long)xLength * elementSize;
        if (bytes > capacityBytes)
            throw new ArgumentException($"holds {bytes} bytes, more than the {capacityBytes} bytes this communicator was created for", "x");
        return bytes;
    }

    /// <summary>Every rank's device is distinct and can access every other's; all ranks reach the same verdict.</summary>
    private static void RequirePeerAccess(Communicator host, CudaDevice device)
    {
        int[] ordinals = new int[host.Size];
        host.AllGather<int>([device.Ordinal], ordinals);
        var problems = new List<string>();
        for (int r = 0; r < host.Size; r++)
        {
            if (r == host.Rank) continue;
            if (ordinals[r] == device.Ordinal)
                problems.Add($"rank {r} uses the same device {device.Ordinal}");
            else
            {
                int can, peer;
                CudaDriver.Check(CudaDriverMethods.cuDeviceGet(&peer, ordinals[r]), "cuDeviceGet");
                CudaDriver.Check(CudaDriverMethods.cuDeviceCanAccessPeer(&can, device.Handle, peer), "cuDeviceCanAccessPeer");
                if (can == 0)
                    problems.Add($"device {device.Ordinal} cannot access device {ordinals[r]} (rank {r})");
            }
        }
        // Share the verdict so every rank throws, not only those that found a problem.
        int[] verdicts = new int[host.Size];
        host.AllGather<int>([problems.Count], verdicts);
        if (verdicts.Any(v => v != 0))
            throw new NotSupportedException("the fused GPU all-reduce needs one distinct device per rank and peer access between every pair: " +
                (problems.Count > 0 ? string.Join("; ", problems) : $"rank(s) {string.Join(", ", verdicts.Select((v, r) => (v, r)).Where(p => p.v != 0).Select(p => p.r))} found a device pair without it"));
    }
}
