using System.Buffers;
using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Execution;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>All-gather: <paramref name="output"/> becomes every rank's <paramref name="input"/>, concatenated in rank order.</summary>
    /// <param name="input">This rank's contribution; the same length on every rank.</param>
    /// <param name="output">Exactly <c>input.Length * Size</c> elements; may not overlap <paramref name="input"/>.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException"><paramref name="output"/> has the wrong length or overlaps <paramref name="input"/>.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different lengths or element types.</exception>
    /// <exception cref="CollectiveTimeoutException">A peer did not arrive within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">A peer disposed its communicator or failed.</exception>
    /// <exception cref="CommunicatorFaultedException">An earlier collective failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public unsafe void AllGather<T>(ReadOnlySpan<T> input, Span<T> output, CancellationToken cancellationToken = default) where T : unmanaged
    {
        long[] counts = EqualCounts(input.Length, output.Length, nameof(output));
        SpanRules.NoOverlap(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllGather, input.Length, total: output.Length);
        ExecuteBetween("AllGather", input, output, cancellationToken, (call, from, to) => RunAllGatherV<T>(call, from, to, counts, descriptor));
    }

    /// <summary>Queues an all-gather; see <see cref="AllGather{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>.</summary>
    public unsafe ValueTask AllGatherAsync<T>(ReadOnlyMemory<T> input, Memory<T> output, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        long[] counts = EqualCounts(input.Length, output.Length, nameof(output));
        SpanRules.NoOverlap(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllGather, input.Length, total: output.Length);
        return EnqueueBetween("AllGather", input, output, cancellationToken,
            (call, from, to) => RunAllGatherV<T>(call, from, to, counts, descriptor));
    }

    /// <summary>
    /// In-place all-gather of a buffer: rank r's shard (<see cref="ShardOf"/>) of <paramref name="buffer"/> is copied into
    /// every other rank's buffer straight from rank r's. After a buffer <c>ReduceScatter</c>, this completes an all-reduce.
    /// </summary>
    /// <param name="buffer">Allocated on this communicator; the same length on every rank.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> belongs to another communicator.</exception>
    /// <inheritdoc cref="AllGather{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>
    public unsafe void AllGather<T>(CommunicatorBuffer<T> buffer, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckBuffer(buffer, nameof(buffer));
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllGather, buffer.Length, bufferOffset: buffer.HeapOffset);
        Execute("AllGather", true, cancellationToken, call => RunAllGatherInBuffers<T>(call, buffer.Length, descriptor));
    }

    /// <summary>
    /// All-gather with a different count per rank: <paramref name="output"/> becomes rank 0's input, then rank 1's, ...
    /// </summary>
    /// <param name="input">This rank's contribution: exactly <c>counts[Rank]</c> elements.</param>
    /// <param name="output">Exactly <c>sum(counts)</c> elements; may not overlap <paramref name="input"/>.</param>
    /// <param name="counts">Elements per rank, <see cref="Size"/> entries, none negative; the same on every rank.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException">A length disagrees with <paramref name="counts"/>, a count is negative, or the spans overlap.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different counts arrays or element types.</exception>
    /// <inheritdoc cref="AllGather{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>
    public unsafe void AllGatherV<T>(ReadOnlySpan<T> input, Span<T> output, ReadOnlySpan<int> counts, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (long[] wideCounts, long hash) = CheckCounts(counts, input.Length, output.Length);
        SpanRules.NoOverlap(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllGatherV, input.Length, total: output.Length, shape: hash);
        ExecuteBetween("AllGatherV", input, output, cancellationToken,
            (call, from, to) => RunAllGatherV<T>(call, from, to, wideCounts, descriptor));
    }

    /// <summary>Queues an all-gather with per-rank counts; see <see cref="AllGatherV{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{int}, CancellationToken)"/>. <paramref name="counts"/> is copied before this returns.</summary>
    public unsafe ValueTask AllGatherVAsync<T>(ReadOnlyMemory<T> input, Memory<T> output, ReadOnlyMemory<int> counts, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        (long[] wideCounts, long hash) = CheckCounts(counts.Span, input.Length, output.Length);
        SpanRules.NoOverlap(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllGatherV, input.Length, total: output.Length, shape: hash);
        return EnqueueBetween("AllGatherV", input, output, cancellationToken,
            (call, from, to) => RunAllGatherV<T>(call, from, to, wideCounts, descriptor));
    }

    /// <summary>Broadcast: every rank's <paramref name="buffer"/> becomes the <paramref name="root"/> rank's.</summary>
    /// <param name="buffer">Root: the data (unchanged). Others: receive it. The same length on every rank.</param>
    /// <param name="root">The sending rank; the same on every rank.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different lengths, roots or element types.</exception>
    /// <inheritdoc cref="AllGather{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>
    public unsafe void Broadcast<T>(Span<T> buffer, int root, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckRank(root, nameof(root));
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.Broadcast, buffer.Length, root: root);
        fixed (T* data = buffer)
        {
            byte* bytes = (byte*)data;
            int count = buffer.Length;
            Execute("Broadcast", true, cancellationToken, call => RunBroadcast<T>(call, bytes, count, root, descriptor));
        }
    }

    /// <summary>Broadcast of a buffer: the other ranks copy straight from the root's buffer.</summary>
    /// <param name="buffer">Allocated on this communicator; the same length on every rank.</param>
    /// <param name="root">The sending rank; the same on every rank.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> belongs to another communicator.</exception>
    /// <inheritdoc cref="Broadcast{T}(Span{T}, int, CancellationToken)"/>
    public unsafe void Broadcast<T>(CommunicatorBuffer<T> buffer, int root, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckBuffer(buffer, nameof(buffer));
        CheckRank(root, nameof(root));
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.Broadcast, buffer.Length, root: root, bufferOffset: buffer.HeapOffset);
        byte* bytes = (byte*)buffer.Pointer;
        Execute("Broadcast", true, cancellationToken, call => RunBroadcast<T>(call, bytes, buffer.Length, root, descriptor));
    }

    /// <summary>Queues a broadcast; see <see cref="Broadcast{T}(Span{T}, int, CancellationToken)"/>.</summary>
    public unsafe ValueTask BroadcastAsync<T>(Memory<T> buffer, int root, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckRank(root, nameof(root));
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.Broadcast, buffer.Length, root: root);
        return Enqueue("Broadcast", true, cancellationToken, call =>
        {
            using MemoryHandle data = buffer.Pin();
            RunBroadcast<T>(call, (byte*)data.Pointer, buffer.Length, root, descriptor);
        });
    }

    /// <summary>Returns once every rank has called Barrier (the same number of collectives before it).</summary>
    /// <param name="cancellationToken">Cancels waiting; this faults the communicator once this rank has announced its arrival.</param>
    /// <inheritdoc cref="AllGather{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>
    public void Barrier(CancellationToken cancellationToken = default)
    {
        CollectiveDescriptor descriptor = Describe<byte>(CollectiveKind.Barrier, 0);
        Execute("Barrier", true, cancellationToken, call => RunBarrier(call, descriptor));
    }

    /// <summary>Queues a barrier; see <see cref="Barrier"/>.</summary>
    public ValueTask BarrierAsync(CancellationToken cancellationToken = default)
    {
        CollectiveDescriptor descriptor = Describe<byte>(CollectiveKind.Barrier, 0);
        return Enqueue("Barrier", true, cancellationToken, call => RunBarrier(call, descriptor));
    }

    /// <summary>A collective's byte-level body over a pinned input and a separate pinned output.</summary>
    private unsafe delegate void InputToOutput(CollectiveCall call, byte* from, byte* to);

    /// <summary>Runs <paramref name="body"/> now with <paramref name="input"/> and <paramref name="output"/> pinned; the caller has
    /// checked them.</summary>
    private unsafe void ExecuteBetween<T>(string name, ReadOnlySpan<T> input, Span<T> output, CancellationToken cancellationToken,
        InputToOutput body) where T : unmanaged
    {
        fixed (T* source = input)
        fixed (T* destination = output)
        {
            byte* from = (byte*)source, to = (byte*)destination;
            Execute(name, true, cancellationToken, call => body(call, from, to));
        }
    }

    /// <summary>Queues <paramref name="body"/>, pinning <paramref name="input"/> and <paramref name="output"/> only while it runs
    /// on the worker; the caller has checked them.</summary>
    private unsafe ValueTask EnqueueBetween<T>(string name, ReadOnlyMemory<T> input, Memory<T> output, CancellationToken cancellationToken,
        InputToOutput body) where T : unmanaged =>
        Enqueue(name, true, cancellationToken, call =>
        {
            using MemoryHandle source = input.Pin(), destination = output.Pin();
            body(call, (byte*)source.Pointer, (byte*)destination.Pointer);
        });

    private long[] EqualCounts(int inputLength, int outputLength, string outputName)
    {
        long expected = (long)inputLength * Size;
        if (outputLength != expected)
        {
            throw new ArgumentException($"{outputName} has {outputLength} elements but input.Length * Size = {inputLength} * {Size} = {expected}.", outputName);
        }
        var counts = new long[Size];
        Array.Fill(counts, inputLength);
        return counts;
    }

    private (long[] Counts, long Hash) CheckCounts(ReadOnlySpan<int> counts, int inputLength, int outputLength)
    {
        if (counts.Length != Size)
        {
            throw new ArgumentException($"counts has {counts.Length} entries but there are {Size} ranks.", nameof(counts));
        }
        var wide = new long[Size];
        long total = 0;
        for (int rank = 0; rank < Size; rank++)
        {
            if (counts[rank] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(counts), counts[rank], $"counts[{rank}] is negative.");
            }
            wide[rank] = counts[rank];
            total += counts[rank];
        }
        if (inputLength != counts[Rank])
        {
            throw new ArgumentException($"input has {inputLength} elements but counts[{Rank}] (this rank) is {counts[Rank]}.", "input");
        }
        if (outputLength != total)
        {
            throw new ArgumentException($"output has {outputLength} elements but the counts add up to {total}.", "output");
        }
        return (wide, HashOf(wide));
    }

    /// <summary>FNV-1a over a counts table, announced in descriptors so that ranks holding different tables are caught.</summary>
    private static long HashOf(ReadOnlySpan<long> values)
    {
        ulong hash = 14695981039346656037;
        foreach (long value in values)
        {
            hash = (hash ^ (ulong)value) * 1099511628211;
        }
        return (long)hash;
    }
}
