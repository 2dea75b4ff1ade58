using System.Buffers;

namespace Kernels.Collectives;

/// <summary>
/// Elements living in the communicator's symmetric memory (like NCCL's registered buffers): collectives given a
/// buffer read the peers' data straight out of their buffers, with no copy in or out (two-shot all-reduce,
/// reduce-scatter, all-gather, broadcast; one-shot and halving/doubling still stage small messages).
/// </summary>
/// <remarks>
/// Contents start undefined. The memory is native and fixed: <see cref="MemoryManager{T}.Memory"/> and
/// <see cref="Span"/> need no pinning. After <see cref="Dispose()"/> or disposal of the communicator, accessing the
/// buffer throws <see cref="ObjectDisposedException"/>. Do not touch a buffer while a collective on it is running.
/// </remarks>
public sealed unsafe class CommunicatorBuffer<T> : MemoryManager<T> where T : unmanaged
{
    private readonly T* _pointer;
    private int _disposed;

    internal CommunicatorBuffer(Communicator owner, long heapOffset, int length, T* pointer)
    {
        Communicator = owner;
        HeapOffset = heapOffset;
        Length = length;
        _pointer = pointer;
    }

    /// <summary>The communicator whose memory holds the buffer; collectives on the buffer must be called on it.</summary>
    public Communicator Communicator { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The elements.</summary>
    /// <exception cref="ObjectDisposedException">The buffer or its communicator is disposed.</exception>
    public Span<T> Span => GetSpan();

    internal long HeapOffset { get; }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0 || Communicator.IsDisposed;

    internal T* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    /// <inheritdoc/>
    public override Span<T> GetSpan() => new(Pointer, Length);

    /// <summary>Returns a handle to element <paramref name="elementIndex"/>; the memory never moves, so nothing is pinned.</summary>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, Length);
        return new MemoryHandle(Pointer + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <summary>Returns the memory to the communicator's heap. Idempotent.</summary>
    public void Dispose() => ((IDisposable)this).Dispose();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Communicator.ReturnBuffer(HeapOffset);
        }
    }
}
