using System.Buffers;
using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Execution;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>
    /// All-to-all: <paramref name="input"/> holds <see cref="Size"/> equal blocks, block q for rank q; <paramref name="output"/>
    /// receives block <see cref="Rank"/> of every rank, in rank order. Each block crosses once, straight from its sender's
    /// staging slot to its receiver (1/Size of an all-gather's traffic for the same output).
    /// </summary>
    /// <param name="input">This rank's blocks for ranks 0..Size-1: a multiple of <see cref="Size"/> elements, the same on every rank; any unmanaged element type.</param>
    /// <param name="output">Exactly <c>input.Length</c> elements; block p comes from rank p. May not overlap <paramref name="input"/>.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException"><paramref name="input"/>'s length is not a multiple of <see cref="Size"/>,
    /// <paramref name="output"/> has another length, or the spans overlap. Nothing is sent.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different lengths or element types.</exception>
    /// <exception cref="CollectiveTimeoutException">A peer did not arrive within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">A peer disposed its communicator or failed.</exception>
    /// <exception cref="CommunicatorFaultedException">An earlier collective failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public unsafe void AllToAll<T>(ReadOnlySpan<T> input, Span<T> output, CancellationToken cancellationToken = default) where T : unmanaged
    {
        long[] matrix = UniformBlocks(input.Length, output.Length);
        SpanRules.NoOverlap(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllToAll, input.Length);
        ExecuteBetween("AllToAll", input, output, cancellationToken, (call, from, to) => RunAllToAllV<T>(call, from, to, matrix, descriptor));
    }

    /// <summary>Queues an all-to-all; see <see cref="AllToAll{T}(ReadOnlySpan{T}, Span{T}, CancellationToken)"/>.</summary>
    public unsafe ValueTask AllToAllAsync<T>(ReadOnlyMemory<T> input, Memory<T> output, CancellationToken cancellationToken = default)
        where T : unmanaged
    {
        long[] matrix = UniformBlocks(input.Length, output.Length);
        SpanRules.NoOverlap(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllToAll, input.Length);
        return EnqueueBetween("AllToAll", input, output, cancellationToken,
            (call, from, to) => RunAllToAllV<T>(call, from, to, matrix, descriptor));
    }

    /// <summary>
    /// All-to-all with a count per pair: <paramref name="input"/> holds this rank's blocks for ranks 0..Size-1 back to back
    /// (<c>sendCounts[q]</c> elements for rank q), and <paramref name="output"/> receives the block every rank p sends to this
    /// one, back to back in rank order (<c>receiveCounts[p]</c> elements from rank p).
    /// </summary>
    /// <remarks>
    /// Runs as two collectives: an all-gather of every rank's (send, receive) counts, checked on every rank — rank p's
    /// <c>sendCounts[q]</c> must equal rank q's <c>receiveCounts[p]</c>, otherwise all ranks throw the same
    /// <see cref="CollectiveMismatchException"/> (field "Counts") and nothing is exchanged — then the exchange itself. A
    /// cancellation that arrives after the first has started faults the communicator.
    /// </remarks>
    /// <param name="input">Exactly <c>sum(sendCounts)</c> elements; any unmanaged element type.</param>
    /// <param name="sendCounts">Elements for each rank, <see cref="Size"/> entries, none negative.</param>
    /// <param name="output">Exactly <c>sum(receiveCounts)</c> elements; may not overlap <paramref name="input"/>. Written only by the exchange.</param>
    /// <param name="receiveCounts">Elements from each rank, <see cref="Size"/> entries, none negative.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException">A counts array has the wrong number of entries or a negative entry, a length
    /// disagrees with its counts, or the spans overlap. Nothing is sent.</exception>
    /// <exception cref="CollectiveMismatchException">Some rank's send count disagrees with its receiver's receive count, or
    /// ranks passed different element types.</exception>
    /// <exception cref="CollectiveDataException">A peer announced invalid counts.</exception>
    /// <exception cref="CollectiveTimeoutException">A peer did not arrive within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">A peer disposed its communicator or failed.</exception>
    /// <exception cref="CommunicatorFaultedException">An earlier collective failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public unsafe void AllToAllV<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> sendCounts, Span<T> output, ReadOnlySpan<int> receiveCounts,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        long[] announced = PairCounts(sendCounts, receiveCounts, input.Length, output.Length);
        SpanRules.NoOverlap(input, (ReadOnlySpan<T>)output, nameof(input), nameof(output), exactAliasAllowed: false);
        CheckElementFits<T>();
        ThrowIfUnusable();
        _worker.WaitUntilIdle();
        fixed (T* source = input)
        fixed (T* destination = output)
        {
            ExchangeVariable<T>(Runner(cancellationToken), announced, (byte*)source, (byte*)destination);
        }
    }

    /// <summary>Queues an all-to-all with per-pair counts; see <see cref="AllToAllV{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, ReadOnlySpan{int}, CancellationToken)"/>.
    /// The counts are copied and checked before this returns.</summary>
    public unsafe ValueTask AllToAllVAsync<T>(ReadOnlyMemory<T> input, ReadOnlyMemory<int> sendCounts, Memory<T> output,
        ReadOnlyMemory<int> receiveCounts, CancellationToken cancellationToken = default) where T : unmanaged
    {
        long[] announced = PairCounts(sendCounts.Span, receiveCounts.Span, input.Length, output.Length);
        SpanRules.NoOverlap(input.Span, (ReadOnlySpan<T>)output.Span, nameof(input), nameof(output), exactAliasAllowed: false);
        CheckElementFits<T>();
        return new ValueTask(EnqueueComposite(cancellationToken, run =>
        {
            using MemoryHandle source = input.Pin(), destination = output.Pin();
            ExchangeVariable<T>(run, announced, (byte*)source.Pointer, (byte*)destination.Pointer);
            return true;
        }).AsTask());
    }

    /// <summary>Gathers every rank's [send counts | receive counts], checks them against each other, then exchanges.</summary>
    private unsafe void ExchangeVariable<T>(CompositeRunner run, long[] announced, byte* send, byte* receive) where T : unmanaged
    {
        var table = new long[announced.Length * Size];
        var rowLengths = new long[Size];
        Array.Fill(rowLengths, announced.Length);
        GatherV(run, "AllToAllV", announced, table, rowLengths);
        long[] matrix = CheckedPairMatrix(table);
        long sending = 0;
        for (int q = 0; q < Size; q++)
        {
            sending += announced[q];
        }
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllToAllV, sending, total: matrix.Sum(), shape: HashOf(matrix));
        run("AllToAllV", call => RunAllToAllV<T>(call, send, receive, matrix, descriptor));
    }

    /// <summary>
    /// The send matrix (row p: what rank p sends to each rank) from the gathered (send, receive) rows, after checking that
    /// every entry is a valid count and that each receiver expects exactly what its sender sends. Every rank checks the
    /// same table in the same order, so all throw the same exception.
    /// </summary>
    private long[] CheckedPairMatrix(long[] table)
    {
        int n = Size, row = 2 * n;
        var matrix = new long[n * n];
        for (int p = 0; p < n; p++)
        {
            for (int i = 0; i < row; i++)
            {
                long count = table[p * row + i];
                if (count < 0 || count > Array.MaxLength)
                {
                    throw new CollectiveDataException("AllToAllV", p, $"count {count} for rank {i % n} is invalid");
                }
            }
            Array.Copy(table, p * row, matrix, p * n, n);
        }
        var differing = new SortedSet<int>();
        string? first = null;
        for (int p = 0; p < n; p++)
        {
            for (int q = 0; q < n; q++)
            {
                long sent = matrix[p * n + q], expected = table[q * row + n + p];
                if (sent != expected)
                {
                    differing.Add(p);
                    differing.Add(q);
                    first ??= $"rank {p} sends {sent} elements to rank {q}, which expects {expected}";
                }
            }
        }
        if (first is not null)
        {
            throw new CollectiveMismatchException("AllToAllV", "Counts", [.. differing], first);
        }
        return matrix;
    }

    /// <summary>The count matrix of an equal-block all-to-all, after checking the lengths.</summary>
    private long[] UniformBlocks(int inputLength, int outputLength)
    {
        if (inputLength % Size != 0)
        {
            throw new ArgumentException($"input has {inputLength} elements, not a multiple of the {Size} ranks' equal blocks.", "input");
        }
        if (outputLength != inputLength)
        {
            throw new ArgumentException($"output has {outputLength} elements but input has {inputLength}; they must be equal.", "output");
        }
        var matrix = new long[Size * Size];
        Array.Fill(matrix, inputLength / Size);
        return matrix;
    }

    /// <summary>This rank's announced [send counts | receive counts], after checking them against the spans.</summary>
    private long[] PairCounts(ReadOnlySpan<int> sendCounts, ReadOnlySpan<int> receiveCounts, int inputLength, int outputLength)
    {
        var announced = new long[2 * Size];
        CheckPerRank(sendCounts, nameof(sendCounts), inputLength, "input", announced.AsSpan(0, Size));
        CheckPerRank(receiveCounts, nameof(receiveCounts), outputLength, "output", announced.AsSpan(Size));
        return announced;
    }

    private void CheckPerRank(ReadOnlySpan<int> counts, string name, int length, string spanName, Span<long> wide)
    {
        if (counts.Length != Size)
        {
            throw new ArgumentException($"{name} has {counts.Length} entries but there are {Size} ranks.", name);
        }
        long total = 0;
        for (int rank = 0; rank < Size; rank++)
        {
            if (counts[rank] < 0)
            {
                throw new ArgumentOutOfRangeException(name, counts[rank], $"{name}[{rank}] is negative.");
            }
            wide[rank] = counts[rank];
            total += counts[rank];
        }
        if (length != total)
        {
            throw new ArgumentException($"{spanName} has {length} elements but {name} add up to {total}.", spanName);
        }
    }
}
