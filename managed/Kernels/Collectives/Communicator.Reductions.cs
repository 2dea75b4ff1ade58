using System.Buffers;
using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Execution;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>
    /// In-place all-reduce: every rank's <paramref name="buffer"/> becomes the element-wise reduction of all ranks' buffers.
    /// </summary>
    /// <remarks>
    /// The algorithm is <see cref="CommunicatorOptions.Algorithm"/>, else <c>KN_ALGO</c>, else the cost model's choice
    /// for the message size and world size (logged to stderr when <c>KN_DEBUG=1</c>). Reduction order:
    /// one-shot and two-shot compute <c>((x0 op x1) op x2) ... op x(n-1)</c>; recursive halving/doubling folds
    /// ranks p..n-1 into 0..n-p-1 (p the largest power of two &lt;= n) and then combines pairs at distances p/2, p/4,
    /// ..., 1, lower rank first; the ring reduces shard c (<see cref="ShardOf"/>) in order x(c+1), x(c+2), ..., x(n-1), x0, ...,
    /// xc (its owner last) and the other ranks copy the owner's result. All in fp32, scaled (Avg) and rounded once.
    /// </remarks>
    /// <param name="buffer">Input and result; the same length on every rank.</param>
    /// <param name="op">Sum, Avg, Max or Min (see the class remarks for NaN).</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException"><paramref name="op"/> is undefined.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different lengths, types, ops or algorithms.</exception>
    /// <exception cref="CollectiveTimeoutException">A peer did not arrive within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">A peer disposed its communicator or failed.</exception>
    /// <exception cref="CommunicatorFaultedException">An earlier collective failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public void AllReduce<T>(Span<T> buffer, ReduceOp op, CancellationToken cancellationToken = default) where T : unmanaged =>
        AllReduce((ReadOnlySpan<T>)buffer, buffer, op, cancellationToken);

    /// <summary>Out-of-place all-reduce: <paramref name="output"/> becomes the reduction of every rank's <paramref name="input"/>.</summary>
    /// <param name="input">This rank's contribution; the same length on every rank.</param>
    /// <param name="output">Same length as <paramref name="input"/>; may be exactly <paramref name="input"/> but may not overlap it otherwise.</param>
    /// <param name="op">Sum, Avg, Max or Min.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <inheritdoc cref="AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/>
    public unsafe void AllReduce<T>(ReadOnlySpan<T> input, Span<T> output, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        SpanRules.SameLength(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output));
        SpanRules.NoOverlap(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output), exactAliasAllowed: true);
        fixed (T* source = input)
        fixed (T* destination = output)
        {
            var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, input.Length, (byte*)source, (byte*)destination);
            Execute("AllReduce", true, cancellationToken, call => RunAllReduce<T>(call, args, op, bufferOffset: -1));
        }
    }

    /// <summary>In-place all-reduce of a buffer in symmetric memory (two-shot reads the peers' buffers directly: no copies).</summary>
    /// <param name="buffer">Allocated on this communicator; the same length on every rank, and every rank must pass a buffer.</param>
    /// <param name="op">Sum, Avg, Max or Min.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> belongs to another communicator, or <paramref name="op"/> is undefined.</exception>
    /// <inheritdoc cref="AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/>
    public unsafe void AllReduce<T>(CommunicatorBuffer<T> buffer, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        CheckBuffer(buffer, nameof(buffer));
        byte* data = (byte*)buffer.Pointer;
        var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, buffer.Length, data, data);
        Execute("AllReduce", true, cancellationToken, call => RunAllReduce<T>(call, args, op, buffer.HeapOffset));
    }

    /// <summary>Queues an in-place all-reduce; see <see cref="AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/>. Arguments are checked before this returns.</summary>
    public ValueTask AllReduceAsync<T>(Memory<T> buffer, ReduceOp op, CancellationToken cancellationToken = default) where T : unmanaged =>
        AllReduceAsync((ReadOnlyMemory<T>)buffer, buffer, op, cancellationToken);

    /// <summary>Queues an out-of-place all-reduce; see <see cref="AllReduce{T}(ReadOnlySpan{T}, Span{T}, ReduceOp, CancellationToken)"/>. Arguments are checked before this returns.</summary>
    public unsafe ValueTask AllReduceAsync<T>(ReadOnlyMemory<T> input, Memory<T> output, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        SpanRules.SameLength(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output));
        SpanRules.NoOverlap(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output), exactAliasAllowed: true);
        return Enqueue("AllReduce", true, cancellationToken, call =>
        {
            using MemoryHandle source = input.Pin(), destination = output.Pin();
            var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, input.Length, (byte*)source.Pointer, (byte*)destination.Pointer);
            RunAllReduce<T>(call, args, op, bufferOffset: -1);
        });
    }

    /// <summary>Queues an in-place all-reduce of a buffer; see <see cref="AllReduce{T}(CommunicatorBuffer{T}, ReduceOp, CancellationToken)"/>.</summary>
    public unsafe ValueTask AllReduceAsync<T>(CommunicatorBuffer<T> buffer, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        CheckBuffer(buffer, nameof(buffer));
        // Taken now: the buffer's memory belongs to the communicator and stays mapped even if the buffer is disposed meanwhile.
        byte* data = (byte*)buffer.Pointer;
        var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, buffer.Length, data, data);
        long heapOffset = buffer.HeapOffset;
        return Enqueue("AllReduce", true, cancellationToken, call => RunAllReduce<T>(call, args, op, heapOffset));
    }

    /// <summary>
    /// Reduce-scatter: <paramref name="output"/> becomes this rank's shard (<see cref="ShardOf"/>) of the element-wise
    /// reduction of every rank's <paramref name="input"/>, computed in order x0, x1, ..., x(n-1) in fp32 and rounded once.
    /// </summary>
    /// <param name="input">This rank's whole vector; the same length on every rank (any length, not only multiples of <see cref="Size"/>).</param>
    /// <param name="output">Exactly <c>ShardOf(input.Length, Rank).Length</c> elements; may not overlap <paramref name="input"/>.</param>
    /// <param name="op">Sum, Avg, Max or Min.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <inheritdoc cref="AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/>
    public unsafe void ReduceScatter<T>(ReadOnlySpan<T> input, Span<T> output, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        CheckShardOutput(input.Length, output.Length, nameof(output));
        SpanRules.NoOverlap(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output), exactAliasAllowed: false);
        fixed (T* source = input)
        fixed (T* destination = output)
        {
            var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, input.Length, (byte*)source, (byte*)destination);
            CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.ReduceScatter, input.Length, op: (int)op);
            Execute("ReduceScatter", true, cancellationToken, call => RunReduceScatter<T>(call, args, descriptor));
        }
    }

    /// <summary>
    /// In-place reduce-scatter of a buffer: this rank's shard (<see cref="ShardOf"/>) of <paramref name="buffer"/> becomes
    /// the reduction of that shard over all ranks, read straight from the peers' buffers; the rest of the buffer is unchanged.
    /// </summary>
    /// <inheritdoc cref="AllReduce{T}(CommunicatorBuffer{T}, ReduceOp, CancellationToken)"/>
    public unsafe void ReduceScatter<T>(CommunicatorBuffer<T> buffer, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        CheckBuffer(buffer, nameof(buffer));
        byte* data = (byte*)buffer.Pointer;
        var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, buffer.Length, data, data);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.ReduceScatter, buffer.Length, op: (int)op, bufferOffset: buffer.HeapOffset);
        Execute("ReduceScatter", true, cancellationToken, call => RunReduceScatter<T>(call, args, descriptor));
    }

    /// <summary>Queues a reduce-scatter; see <see cref="ReduceScatter{T}(ReadOnlySpan{T}, Span{T}, ReduceOp, CancellationToken)"/>.</summary>
    public unsafe ValueTask ReduceScatterAsync<T>(ReadOnlyMemory<T> input, Memory<T> output, ReduceOp op, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(op);
        CheckShardOutput(input.Length, output.Length, nameof(output));
        SpanRules.NoOverlap(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.ReduceScatter, input.Length, op: (int)op);
        return Enqueue("ReduceScatter", true, cancellationToken, call =>
        {
            using MemoryHandle source = input.Pin(), destination = output.Pin();
            var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, input.Length, (byte*)source.Pointer, (byte*)destination.Pointer);
            RunReduceScatter<T>(call, args, descriptor);
        });
    }

    private unsafe void RunAllReduce<T>(CollectiveCall call, ReductionArgs args, ReduceOp op, long bufferOffset) where T : unmanaged
    {
        if (_hierarchy is { } hierarchy)
        {
            hierarchy.AllReduce<T>(call, args, Describe<T>(CollectiveKind.AllReduce, args.Count, op: (int)op, bufferOffset: bufferOffset));
            return;
        }
        long bytes = args.Count * sizeof(T);
        CollectiveAlgorithm algorithm = AlgorithmChoice.Choose(bytes, sizeof(T), Size, onBuffers: bufferOffset >= 0, _settings.Algorithm);
        if (_settings.Debug)
        {
            string source = _settings.Algorithm == CollectiveAlgorithm.Auto ? "cost model" : "forced";
            Console.Error.WriteLine($"[kn] rank {Rank}/{Size} AllReduce #{call.Sequence} {typeof(T).Name} {op} {bytes} B -> {algorithm} ({source})");
        }
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllReduce, args.Count, op: (int)op, algorithm: algorithm, bufferOffset: bufferOffset);
        switch (algorithm)
        {
            case CollectiveAlgorithm.OneShot:
                OneShot.AllReduce(call, args, descriptor);
                break;
            case CollectiveAlgorithm.TwoShot:
                TwoShot.AllReduce(call, args, descriptor);
                break;
            case CollectiveAlgorithm.Ring:
                Ring.AllReduce(call, args, descriptor);
                break;
            default:
                RecursiveHalvingDoubling.AllReduce(call, args, descriptor);
                break;
        }
    }

    private (Interop.kn_dtype DType, Interop.kn_reduce_op Op, float Scale) ReductionOf<T>(ReduceOp op) where T : unmanaged
    {
        Interop.kn_dtype dtype = ElementTypes.Of<T>();
        (Interop.kn_reduce_op nativeOp, float scale) = ReductionArgs.Lower(op, Size);
        return (dtype, nativeOp, scale);
    }

    private void CheckShardOutput(int inputLength, int outputLength, string name)
    {
        long expected = Shards.Of(inputLength, Size, Rank).Length;
        if (outputLength != expected)
        {
            throw new ArgumentException(
                $"{name} has {outputLength} elements but rank {Rank}'s shard of {inputLength} elements over {Size} ranks has {expected}.", name);
        }
    }
}
