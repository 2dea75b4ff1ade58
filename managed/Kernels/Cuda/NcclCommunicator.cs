using System.Diagnostics;
using System.Runtime.InteropServices;
using Kernels.Collectives;
using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// NCCL collectives over <see cref="DeviceBuffer{T}"/>s, one GPU per rank, queued on a <see cref="CudaStream"/>.
/// NCCL (<c>libnccl.so.2</c>) is loaded when present and never required: without it <see cref="Create"/> throws
/// <see cref="CudaUnavailableException"/> with <see cref="CudaComponent.Nccl"/>.
/// </summary>
/// <remarks>
/// <para>Created collectively from a host <see cref="Communicator"/> (MPI or shared-memory rendezvous): rank 0 gets
/// NCCL's unique id and broadcasts it through that communicator; every rank then joins with a non-blocking
/// ncclCommInitRankConfig whose completion is polled with the host communicator's timeout, so a rank that dies during
/// initialisation is an exception too. Needs NCCL 2.14 or later.</para>
/// <para>Element types float, Half and BFloat16; ops Sum, Avg, Max and Min. Every method checks
/// its arguments (types, ops, lengths, ranks, disposed objects, buffers and streams of another device) before any
/// native call and throws <see cref="ArgumentException"/> naming the argument.</para>
/// <para>Failures: collectives are queued, so a failed peer surfaces asynchronously. <see cref="Synchronize"/> waits
/// for a stream by polling both the stream and ncclCommGetAsyncError; on an asynchronous error, or when the host
/// communicator's <see cref="Communicator.Timeout"/> passes, it aborts the NCCL communicator (ncclCommAbort, which
/// ends the kernels waiting on the dead peer) and throws, so a dead peer is an exception, never a hang. After that
/// the communicator is faulted: later calls throw <see cref="CommunicatorFaultedException"/>. A plain
/// <see cref="CudaStream.Synchronize"/> has no such guard.</para>
/// </remarks>
public sealed unsafe class NcclCommunicator : IDisposable
{
    private void* _comm;
    private Exception? _fault;

    private NcclCommunicator(CudaDevice device, void* comm, int rank, int size, TimeSpan timeout)
    {
        Device = device;
        _comm = comm;
        Rank = rank;
        Size = size;
        Timeout = timeout;
    }

    /// <summary>This rank, as in the host communicator.</summary>
    public int Rank { get; }
    /// <summary>Number of ranks.</summary>
    public int Size { get; }
    /// <summary>The device this rank's buffers and streams must be on.</summary>
    public CudaDevice Device { get; }
    /// <summary>How long <see cref="Synchronize"/> waits before it declares the peers lost (the host communicator's timeout).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The loaded NCCL's version code (e.g. 21803 for 2.18.3).</summary>
    /// <exception cref="CudaUnavailableException">libnccl.so.2 is absent.</exception>
    public static int Version
    {
        get
        {
            CudaLibraries.RequireNccl();
            int version;
            Check(NcclMethods.ncclGetVersion(&version), "ncclGetVersion");
            return version;
        }
    }

    /// <summary>
    /// Creates this rank's NCCL communicator on <paramref name="device"/>; every rank of <paramref name="host"/> calls it.
    /// Order of checks: <paramref name="host"/>, then the NCCL library, then <paramref name="device"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> or <paramref name="device"/> is null.</exception>
    /// <exception cref="CudaUnavailableException">libnccl.so.2 is absent or older than 2.14 (<see cref="CudaComponent.Nccl"/>).</exception>
    /// <exception cref="CollectiveException">The host communicator failed while exchanging the unique id.</exception>
    /// <exception cref="CollectiveTimeoutException">NCCL's initialisation did not complete within the host communicator's timeout.</exception>
    /// <exception cref="InvalidOperationException">NCCL failed to initialise (the message has its error text).</exception>
    public static NcclCommunicator Create(Communicator host, CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(host);
        int version = Version;
        if (version < NcclConstants.NCCL_CONFIG_LAYOUT_VERSION)
            throw new CudaUnavailableException(CudaComponent.Nccl,
                $"no NCCL 2.14 or later: {CudaLibraries.Nccl.File} is version code {version} (non-blocking initialisation needs 2.14)");
        ArgumentNullException.ThrowIfNull(device);
        device.MakeCurrent();
        ncclUniqueId id = default;
        if (host.Rank == 0)
            Check(NcclMethods.ncclGetUniqueId(&id), "ncclGetUniqueId");
        host.Broadcast(new Span<byte>(&id, sizeof(ncclUniqueId)), root: 0);
        // Every rank holds the id before any starts NCCL's initialisation: a rank that died before this point is reported
        // by the host communicator; one that dies during it, by the timeout of AwaitInitialisation.
        host.Barrier();
        var config = new ncclConfig_v21400
        {
            size = (nuint)sizeof(ncclConfig_v21400),
            magic = unchecked((uint)NcclConstants.NCCL_CONFIG_MAGIC),
            version = NcclConstants.NCCL_CONFIG_LAYOUT_VERSION,
            blocking = 0,
        };
        void* comm = null;
        ncclResult_t started = NcclMethods.ncclCommInitRankConfig(&comm, host.Size, id, host.Rank, &config);
        if (started != ncclResult_t.ncclSuccess && started != ncclResult_t.ncclInProgress)
        {
            if (comm != null)
                NcclMethods.ncclCommAbort(comm);
            Check(started, "ncclCommInitRankConfig");
        }
        var communicator = new NcclCommunicator(device, comm, host.Rank, host.Size, host.Timeout);
        communicator.AwaitInitialisation();
        return communicator;
    }

    /// <summary>Queues <c>receive = op over ranks of send</c>; <paramref name="receive"/> may be <paramref name="send"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, <paramref name="op"/> is undefined, or a buffer or the stream is on another device.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public void AllReduce<T>(DeviceBuffer<T> send, DeviceBuffer<T> receive, ReduceOp op, CudaStream stream) where T : unmanaged
    {
        ncclDataType_t type = NcclArguments.DataType<T>();
        ncclRedOp_t nop = NcclArguments.Op(op, nameof(op));
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(receive);
        NcclArguments.SameLength(send.Length, receive.Length, nameof(receive));
        void* s = Ready(stream, send, nameof(send), receive, nameof(receive), out ulong ps, out ulong pr);
        CheckQueued(NcclMethods.ncclAllReduce((void*)ps, (void*)pr, (nuint)send.Length, type, nop, _comm, s), "ncclAllReduce");
    }

    /// <summary>Queues the reduce-scatter: <paramref name="receive"/> gets shard <see cref="Rank"/> of the reduction of
    /// <paramref name="send"/>, which holds <see cref="Size"/> shards of <c>receive.Length</c> elements.</summary>
    /// <inheritdoc cref="AllReduce{T}"/>
    public void ReduceScatter<T>(DeviceBuffer<T> send, DeviceBuffer<T> receive, ReduceOp op, CudaStream stream) where T : unmanaged
    {
        ncclDataType_t type = NcclArguments.DataType<T>();
        ncclRedOp_t nop = NcclArguments.Op(op, nameof(op));
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(receive);
        NcclArguments.ShardedLength(send.Length, receive.Length, Size, nameof(send));
        void* s = Ready(stream, send, nameof(send), receive, nameof(receive), out ulong ps, out ulong pr);
        CheckQueued(NcclMethods.ncclReduceScatter((void*)ps, (void*)pr, (nuint)receive.Length, type, nop, _comm, s), "ncclReduceScatter");
    }

    /// <summary>Queues the all-gather: <paramref name="receive"/> (<see cref="Size"/> shards) gets every rank's
    /// <paramref name="send"/> in rank order.</summary>
    /// <inheritdoc cref="AllReduce{T}"/>
    public void AllGather<T>(DeviceBuffer<T> send, DeviceBuffer<T> receive, CudaStream stream) where T : unmanaged
    {
        ncclDataType_t type = NcclArguments.DataType<T>();
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(receive);
        NcclArguments.ShardedLength(receive.Length, send.Length, Size, nameof(receive));
        void* s = Ready(stream, send, nameof(send), receive, nameof(receive), out ulong ps, out ulong pr);
        CheckQueued(NcclMethods.ncclAllGather((void*)ps, (void*)pr, (nuint)send.Length, type, _comm, s), "ncclAllGather");
    }

    /// <summary>Queues the broadcast of <paramref name="buffer"/> from <paramref name="root"/> to every rank, in place.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    /// <inheritdoc cref="AllReduce{T}"/>
    public void Broadcast<T>(DeviceBuffer<T> buffer, int root, CudaStream stream) where T : unmanaged
    {
        ncclDataType_t type = NcclArguments.DataType<T>();
        ArgumentNullException.ThrowIfNull(buffer);
        NcclArguments.Rank(root, Size, nameof(root));
        void* s = Ready(stream, buffer, nameof(buffer), buffer, nameof(buffer), out ulong p, out _);
        CheckQueued(NcclMethods.ncclBroadcast((void*)p, (void*)p, (nuint)buffer.Length, type, root, _comm, s), "ncclBroadcast");
    }

    /// <summary>Queues the send of <paramref name="data"/> to <paramref name="peer"/>, which queues a matching <see cref="Recv{T}"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="peer"/> is not a rank.</exception>
    /// <exception cref="ArgumentException"><paramref name="peer"/> is this rank.</exception>
    /// <inheritdoc cref="AllReduce{T}"/>
    public void Send<T>(DeviceBuffer<T> data, int peer, CudaStream stream) where T : unmanaged =>
        QueuePointToPoint(data, peer, stream, &NcclMethods.ncclSend, "ncclSend");

    /// <summary>Queues the receive of <paramref name="data"/> from <paramref name="peer"/>.</summary>
    /// <inheritdoc cref="Send{T}"/>
    public void Recv<T>(DeviceBuffer<T> data, int peer, CudaStream stream) where T : unmanaged =>
        QueuePointToPoint(data, peer, stream, &NcclMethods.ncclRecv, "ncclRecv");

    // Send and Recv take the same arguments (one whole buffer, one peer) and differ only in the NCCL entry point.
    private void QueuePointToPoint<T>(DeviceBuffer<T> data, int peer, CudaStream stream,
        delegate*<void*, nuint, ncclDataType_t, int, void*, void*, ncclResult_t> ncclCall, string callName) where T : unmanaged
    {
        ncclDataType_t type = NcclArguments.DataType<T>();
        ArgumentNullException.ThrowIfNull(data);
        NcclArguments.Rank(peer, Size, nameof(peer), Rank);
        void* s = Ready(stream, data, nameof(data), data, nameof(data), out ulong p, out _);
        CheckQueued(ncclCall((void*)p, (nuint)data.Length, type, peer, _comm, s), callName);
    }

    // Non-blocking initialisation: polls until NCCL reports the communicator ready, or aborts it on an error or timeout.
    private void AwaitInitialisation()
    {
        var clock = Stopwatch.StartNew();
        for (int polls = 0; ; polls++)
        {
            ncclResult_t state;
            Check(NcclMethods.ncclCommGetAsyncError(_comm, &state), "ncclCommGetAsyncError");
            if (state == ncclResult_t.ncclSuccess)
                return;
            if (state != ncclResult_t.ncclInProgress)
            {
                Exception error = new InvalidOperationException($"ncclCommInitRankConfig failed: {Describe(state)}");
                NcclMethods.ncclCommAbort(_comm);
                _comm = null;
                throw error;
            }
            if (clock.Elapsed > Timeout)
            {
                NcclMethods.ncclCommAbort(_comm);
                _comm = null;
                throw new CollectiveTimeoutException("NcclCommunicator.Create", OtherRanks(), Timeout);
            }
            Pause(polls);
        }
    }

    /// <summary>Groups the point-to-point calls made inside (ncclGroupStart/End), so a send and a receive between two
    /// ranks do not wait on each other. Dispose the returned scope to end the group.</summary>
    public GroupScope Group()
    {
        RequireUsable();
        Check(NcclMethods.ncclGroupStart(), "ncclGroupStart");
        return new GroupScope();
    }

    /// <summary>
    /// Waits for <paramref name="stream"/>'s work while polling NCCL for asynchronous errors; see the remarks on the class.
    /// </summary>
    /// <exception cref="PeerLostException">NCCL reported an asynchronous error (a peer or the network failed).</exception>
    /// <exception cref="CollectiveTimeoutException">The stream did not finish within <see cref="Timeout"/>.</exception>
    public void Synchronize(CudaStream stream, CancellationToken cancellationToken = default)
    {
        Ready(stream);
        var clock = Stopwatch.StartNew();
        for (int polls = 0; !Finished(stream, clock); polls++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Pause(polls);
        }
    }

    /// <summary>
    /// <see cref="Synchronize"/> without holding a thread: polls every millisecond on the thread pool.
    /// </summary>
    /// <exception cref="PeerLostException">NCCL reported an asynchronous error (a peer or the network failed).</exception>
    /// <exception cref="CollectiveTimeoutException">The stream did not finish within <see cref="Timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the queued work goes on).</exception>
    public Task SynchronizeAsync(CudaStream stream, CancellationToken cancellationToken = default)
    {
        Ready(stream);
        var clock = Stopwatch.StartNew();
        return CompletionPolling.UntilAsync(() => Finished(stream, clock), cancellationToken);
    }

    /// <summary>One poll, on any thread (it makes the device current): true once the stream's work is done; throws (after
    /// aborting) on an NCCL error or the timeout.</summary>
    private bool Finished(CudaStream stream, Stopwatch clock)
    {
        void* handle = Ready(stream);
        CUresult done = CudaDriverMethods.cuStreamQuery(handle);
        if (done == CUresult.CUDA_SUCCESS)
            return true;
        if (done != CUresult.CUDA_ERROR_NOT_READY)
            CudaDriver.Check(done, "cuStreamQuery");
        ncclResult_t asyncError;
        Check(NcclMethods.ncclCommGetAsyncError(_comm, &asyncError), "ncclCommGetAsyncError");
        if (asyncError != ncclResult_t.ncclSuccess && asyncError != ncclResult_t.ncclInProgress)
            throw Fault(new PeerLostException("NcclCommunicator.Synchronize", OtherRanks(), $"NCCL: {Describe(asyncError)}"));
        if (clock.Elapsed > Timeout)
            throw Fault(new CollectiveTimeoutException("NcclCommunicator.Synchronize", OtherRanks(), Timeout));
        return false;
    }

    // Spins briefly for short operations, then polls every millisecond.
    private static void Pause(int polls)
    {
        if (polls < 64) Thread.SpinWait(64);
        else Thread.Sleep(1);
    }

    /// <summary>Destroys the communicator (ncclCommDestroy; ncclCommAbort when it faulted, since peers may be gone).</summary>
    public void Dispose()
    {
        if (_comm == null)
            return;
        // Destroy waits for queued work; after a fault the communicator was already aborted (and freed).
        if (_fault == null)
            NcclMethods.ncclCommDestroy(_comm);
        _comm = null;
    }

    /// <summary>Ends an NCCL group started by <see cref="Group"/>.</summary>
    public readonly struct GroupScope : IDisposable
    {
        /// <summary>ncclGroupEnd: launches the grouped operations.</summary>
        public void Dispose() => CheckQueued(NcclMethods.ncclGroupEnd(), "ncclGroupEnd");
    }

    private void RequireUsable()
    {
        ObjectDisposedException.ThrowIf(_comm == null, this);
        if (_fault != null)
            throw new CommunicatorFaultedException(Rank, _fault);
    }

    /// <summary>The stream and buffers belong to this communicator's device; returns the stream handle.</summary>
    private void* Ready<T>(CudaStream stream, DeviceBuffer<T> a, string aName, DeviceBuffer<T> b, string bName, out ulong pa, out ulong pb)
        where T : unmanaged
    {
        void* handle = Ready(stream);
        pa = DeviceArguments.Pointer(a, stream, aName);
        pb = DeviceArguments.Pointer(b, stream, bName);
        return handle;
    }

    private void* Ready(CudaStream stream)
    {
        RequireUsable();
        ArgumentNullException.ThrowIfNull(stream);
        Device.RequireSame(stream.Device, nameof(stream));
        void* handle = stream.Handle;
        Device.MakeCurrent();
        return handle;
    }

    private Exception Fault(Exception error)
    {
        _fault = error;
        NcclMethods.ncclCommAbort(_comm);
        return error;
    }

    private int[] OtherRanks() => Enumerable.Range(0, Size).Where(r => r != Rank).ToArray();

    // On a non-blocking communicator a queued call may still be in progress when it returns; Synchronize sees its end.
    private static void CheckQueued(ncclResult_t result, string call)
    {
        if (result != ncclResult_t.ncclInProgress)
            Check(result, call);
    }

    private static void Check(ncclResult_t result, string call)
    {
        if (result != ncclResult_t.ncclSuccess)
            throw new InvalidOperationException($"{call} failed: {Describe(result)}");
    }

    private static string Describe(ncclResult_t result)
    {
        byte* text = NcclMethods.ncclGetErrorString(result);
        return text != null ? $"{result} ({Marshal.PtrToStringUTF8((IntPtr)text)})" : result.ToString();
    }
}
