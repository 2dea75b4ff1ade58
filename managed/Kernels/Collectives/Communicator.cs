using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Collectives.Transport;

namespace Kernels.Collectives;

/// <summary>
/// One rank of a group of ranks that run collectives together — all-reduce, reduce-scatter, all-gather(V), broadcast,
/// barrier, send/recv, sparse all-gather and reduce-scatter, and all-reduce fused with add + RMSNorm — over symmetric
/// memory: every rank's staging region is readable by all, so data is reduced straight out of the peers' memory.
/// </summary>
/// <remarks>
/// <para><b>Matching.</b> Every rank must call the same collectives in the same order with matching arguments
/// (element type, op, counts, root, algorithm, span vs <see cref="CommunicatorBuffer{T}"/>). Ranks that disagree all
/// get a <see cref="CollectiveMismatchException"/> before any data moves; the communicator stays usable.</para>
/// <para><b>Failures.</b> Every wait for a peer has a deadline (<see cref="Timeout"/>); past it the waiting rank
/// throws <see cref="CollectiveTimeoutException"/> naming the ranks that did not arrive. A peer known gone (disposed,
/// or failed part-way through a collective) gives <see cref="PeerLostException"/> at once. Either failure — or a
/// cancellation once data has been exchanged, or a native error — faults the communicator: later calls throw
/// <see cref="CommunicatorFaultedException"/> and its peers see it as lost. Argument errors are thrown before
/// anything is sent and leave buffers untouched.</para>
/// <para><b>Threads.</b> A communicator is used by one thread at a time. Async methods queue the collective on the
/// communicator's own worker thread; several may be in flight and they run and complete in issue order; a
/// synchronous call waits for the queued ones first. Cancelling a token before its collective starts skips that
/// collective on this rank (nothing is sent; peers will see this rank as not having called it).</para>
/// <para><b>Numerics.</b> Element types of reductions: <see cref="float"/>, <see cref="Half"/>,
/// <see cref="BFloat16"/>; arithmetic is fp32 and every algorithm rounds to the element type once, at the end.
/// Avg is the fp32 sum multiplied by 1/<see cref="Size"/>. Max and Min return NaN if any rank's element is NaN;
/// Sum follows IEEE addition. Results are bitwise identical on every rank, and from run to run, for a given world
/// size and algorithm; the reduction order of each algorithm is documented on <see cref="CollectiveAlgorithm"/>.
/// Data-movement collectives (all-gather, broadcast, send/recv) take any unmanaged element type.</para>
/// </remarks>
public sealed partial class Communicator : IDisposable
{
    private readonly RankEndpoint _endpoint;
    private readonly BufferHeap _heap;
    private readonly CommunicatorSettings _settings;
    private readonly OrderedWorker _worker;
    private readonly CancellationTokenSource _disposal = new();
    private readonly object _callLock = new();
    private Exception? _fault;
    private int _disposed;

    private Communicator(SymmetricTransport transport, CommunicatorSettings settings)
    {
        _endpoint = new RankEndpoint(transport, settings.Timeout);
        _heap = new BufferHeap(transport.Layout.HeapBytes);
        _settings = settings;
        _worker = new OrderedWorker($"kn-collectives rank {transport.Rank}");
    }

    /// <summary>This rank, 0 .. <see cref="Size"/> - 1.</summary>
    public int Rank => _hierarchy?.Topology.Rank ?? _endpoint.Rank;

    /// <summary>Number of ranks.</summary>
    public int Size => _hierarchy?.Topology.Size ?? _endpoint.Size;

    /// <summary>The deadline of every wait for a peer.</summary>
    public TimeSpan Timeout => _settings.Timeout;

    /// <summary>Largest number of ranks on one host (the world size of a single-host job) the symmetric-memory transports support.</summary>
    public const int MaxSize = RegionHeader.MaxRanks;

    /// <summary>
    /// Creates a job of <paramref name="size"/> ranks inside this process, for tests and simulation: element i is
    /// rank i, to be used from its own thread or task (ranks block while waiting for each other).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not in 1..<see cref="MaxSize"/>, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><c>KN_ALGO</c> or <c>KN_TIMEOUT_MS</c> holds an invalid value.</exception>
    public static Communicator[] CreateInProcess(int size, CommunicatorOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        CommunicatorSettings settings = CommunicatorSettings.FromProcessEnvironment(options);
        var job = new InProcessJob(size, RegionLayout.For(settings.SlotBytes, settings.HeapBytes));
        var communicators = new Communicator[size];
        for (int rank = 0; rank < size; rank++)
        {
            communicators[rank] = new Communicator(job.TransportFor(rank), settings);
        }
        return communicators;
    }

    /// <summary>
    /// Allocates <paramref name="count"/> elements in this rank's symmetric memory. Local (no communication): ranks
    /// need not allocate in step, but a collective on buffers must be called with a buffer on every rank.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="OutOfMemoryException">The heap (<see cref="CommunicatorOptions.BufferHeapBytes"/>) has no room.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public unsafe CommunicatorBuffer<T> AllocateBuffer<T>(int count) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        long offset = _heap.Allocate((long)count * sizeof(T));
        return new CommunicatorBuffer<T>(this, offset, count, (T*)(_endpoint.Transport.HeapOf(_endpoint.Rank) + offset));
    }

    /// <summary>
    /// The part of a <paramref name="count"/>-element vector that <paramref name="rank"/> owns in
    /// <see cref="ReduceScatter{T}(ReadOnlySpan{T}, Span{T}, ReduceOp, CancellationToken)"/> and buffer all-gathers:
    /// contiguous shards in rank order, the first <c>count % Size</c> ranks holding one element more.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or <paramref name="rank"/> is not a rank.</exception>
    public (int Offset, int Length) ShardOf(int count, int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckRank(rank, nameof(rank));
        (long offset, long length) = Shards.Of(count, Size, rank);
        return ((int)offset, (int)length);
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal void ReturnBuffer(long heapOffset)
    {
        if (!IsDisposed)
        {
            _heap.Free(heapOffset);
        }
    }

    /// <summary>
    /// Leaves the job: a collective running on another thread or queued stops with <see cref="ObjectDisposedException"/>,
    /// peers waiting on this rank get <see cref="PeerLostException"/>, and this rank's share of the symmetric memory
    /// is released (in-process, the memory itself goes when the last rank disposes). Buffers become unusable. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _disposal.Cancel();
        _worker.Dispose();
        lock (_callLock)
        {
            if (_hierarchy is not null)
            {
                _hierarchy.Dispose(); // closes the host communicator, which shares this one's transport
            }
            else
            {
                if (_fault is null)
                {
                    _endpoint.Transport.Publish(RankState.Closed);
                }
                _endpoint.Transport.Dispose();
            }
        }
        _disposal.Dispose();
    }

    /// <summary>Runs a collective on the calling thread, after any queued async ones.</summary>
    private void Execute(string name, bool sequenced, CancellationToken cancellationToken, Action<CollectiveCall> body)
    {
        ThrowIfUnusable();
        _worker.WaitUntilIdle();
        RunNow(name, sequenced, cancellationToken, body);
    }

    /// <summary>Queues a collective on the worker; argument checks have been done by the caller, synchronously.</summary>
    private ValueTask Enqueue(string name, bool sequenced, CancellationToken cancellationToken, Action<CollectiveCall> body)
    {
        ThrowIfUnusable();
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _worker.Enqueue(() =>
        {
            try
            {
                RunNow(name, sequenced, cancellationToken, body);
                completion.SetResult();
            }
            catch (OperationCanceledException canceled)
            {
                completion.SetCanceled(canceled.CancellationToken);
            }
            catch (Exception failure)
            {
                completion.SetException(failure);
            }
        });
        return new ValueTask(completion.Task);
    }

    /// <param name="name">The collective, for messages.</param>
    /// <param name="sequenced">Whether it is a collective (numbered) rather than point-to-point.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <param name="body">The algorithm.</param>
    /// <param name="continuesComposite">A later part of a multi-collective operation: peers are already inside it, so
    /// cancellation before this part starts faults the communicator like a cancellation mid-collective.</param>
    private void RunNow(string name, bool sequenced, CancellationToken cancellationToken, Action<CollectiveCall> body,
        bool continuesComposite = false)
    {
        lock (_callLock)
        {
            ThrowIfUnusable();
            if (cancellationToken.IsCancellationRequested)
            {
                var canceled = new OperationCanceledException(cancellationToken);
                if (continuesComposite)
                {
                    Fault(canceled);
                }
                throw canceled;
            }
            ulong sequence = sequenced ? ++_endpoint.LastSequence : 0;
            var call = new CollectiveCall(_endpoint, sequence, name, cancellationToken, _disposal.Token);
            try
            {
                body(call);
            }
            catch (CollectiveMismatchException)
            {
                throw; // detected at arrival on every rank alike: the ranks are still in step
            }
            catch (OperationCanceledException) when (_disposal.IsCancellationRequested)
            {
                var disposed = new ObjectDisposedException(GetType().FullName, $"Rank {Rank}'s communicator was disposed during {name}.");
                Fault(disposed);
                throw disposed;
            }
            catch (Exception failure)
            {
                Fault(failure);
                throw;
            }
        }
    }

    private void Fault(Exception failure)
    {
        _fault ??= failure;
        _endpoint.Transport.Publish(RankState.Faulted);
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_fault is { } fault)
        {
            throw new CommunicatorFaultedException(Rank, fault);
        }
    }

    private void CheckRank(int rank, string name)
    {
        if ((uint)rank >= (uint)Size)
        {
            throw new ArgumentOutOfRangeException(name, rank, $"{name} must be a rank in 0..{Size - 1}.");
        }
    }

    private CommunicatorBuffer<T> CheckBuffer<T>(CommunicatorBuffer<T> buffer, string name) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.Communicator != this)
        {
            throw new ArgumentException($"{name} belongs to rank {buffer.Communicator.Rank} of another communicator; allocate it on this one.", name);
        }
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        return buffer;
    }

    /// <summary>Staged collectives move whole elements through a slot: an element must fit in one.</summary>
    private unsafe void CheckElementFits<T>() where T : unmanaged
    {
        if (sizeof(T) > _endpoint.Transport.Layout.SlotBytes)
        {
            throw new ArgumentException(
                $"{typeof(T).Name} elements ({sizeof(T)} bytes) do not fit the {_endpoint.Transport.Layout.SlotBytes}-byte staging slot; raise CommunicatorOptions.StagingSlotBytes.");
        }
    }

    /// <summary>This rank's descriptor of a collective (after checking that its elements fit the staging slots).</summary>
    private unsafe CollectiveDescriptor Describe<T>(CollectiveKind kind, long count, long total = -1, int op = -1,
        CollectiveAlgorithm algorithm = CollectiveAlgorithm.Auto, int root = -1, long bufferOffset = -1, long shape = 0, long parameter = 0)
        where T : unmanaged
    {
        CheckElementFits<T>();
        return DescriptorOf<T>(kind, count, total, op, algorithm, root, bufferOffset, shape, parameter);
    }

    private static unsafe CollectiveDescriptor DescriptorOf<T>(CollectiveKind kind, long count, long total, int op,
        CollectiveAlgorithm algorithm, int root, long bufferOffset, long shape, long parameter) where T : unmanaged => new()
    {
        Kind = (int)kind,
        ElementTag = ElementTag<T>.Value,
        ElementSize = sizeof(T),
        Op = op,
        Algorithm = (int)algorithm,
        Root = root,
        Count = count,
        Total = total < 0 ? count : total,
        BufferOffset = bufferOffset,
        Shape = shape,
        Parameter = parameter,
    };
}
