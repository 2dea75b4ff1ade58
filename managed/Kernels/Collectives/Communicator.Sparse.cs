using System.Buffers;
using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Execution;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>
    /// Sparse all-gather: every rank gets every rank's (index, value) entries, concatenated in rank order (each rank's
    /// entries in the order it passed them; duplicates kept). Ranks may pass different numbers of entries.
    /// </summary>
    /// <remarks>
    /// Runs as three collectives on this communicator (entry counts, then indices, then values), so peers must make the
    /// same call. Indices received from peers are checked against <paramref name="indexSpace"/> before they are returned.
    /// A cancellation that arrives after the first of the three has started faults the communicator.
    /// </remarks>
    /// <param name="indices">This rank's indices, each in [0, <paramref name="indexSpace"/>).</param>
    /// <param name="values">One value per index.</param>
    /// <param name="indexSpace">Size of the dense vector the indices address; the same on every rank.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException">Lengths differ, <paramref name="indexSpace"/> is negative, or an index is outside it.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different index spaces or element types.</exception>
    /// <exception cref="CollectiveDataException">A peer's index is outside the index space (nothing is returned).</exception>
    /// <exception cref="CollectiveTimeoutException">A peer did not arrive within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">A peer disposed its communicator or failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public SparseEntries<T> SparseAllGather<T>(ReadOnlySpan<int> indices, ReadOnlySpan<T> values, int indexSpace,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices, values.Length, indexSpace);
        ThrowIfUnusable();
        _worker.WaitUntilIdle();
        return Concatenated(GatherEntries(Runner(cancellationToken), indices.ToArray(), values.ToArray(), indexSpace));
    }

    /// <summary>Queues a sparse all-gather; see <see cref="SparseAllGather{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, CancellationToken)"/>.
    /// The entries are copied and checked before this returns.</summary>
    public ValueTask<SparseEntries<T>> SparseAllGatherAsync<T>(ReadOnlyMemory<int> indices, ReadOnlyMemory<T> values, int indexSpace,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices.Span, values.Length, indexSpace);
        int[] indexCopy = indices.ToArray();
        T[] valueCopy = values.ToArray();
        return EnqueueComposite(cancellationToken, run => Concatenated(GatherEntries(run, indexCopy, valueCopy, indexSpace)));
    }

    /// <summary>
    /// Sparse all-gather summed into a dense vector: <paramref name="dense"/> becomes the sum of every rank's entries
    /// (zero where no rank has an entry), accumulated in fp32 in rank order and then entry order, rounded once — the
    /// same bits on every rank.
    /// </summary>
    /// <remarks>When the ranks together set at least <see cref="CommunicatorOptions.SparseDenseThreshold"/> of the index
    /// space (mean per rank), each rank sums its entries into a dense vector and the dense all-reduce runs instead — the
    /// same result for f32, and for 16-bit types unless a rank repeats an index.</remarks>
    /// <param name="indices">This rank's indices, each in [0, <c>dense.Length</c>).</param>
    /// <param name="values">One value per index.</param>
    /// <param name="dense">The result; its length is the index space and must be the same on every rank. Written only on success.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <inheritdoc cref="SparseAllGather{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, CancellationToken)"/>
    public void SparseAllGather<T>(ReadOnlySpan<int> indices, ReadOnlySpan<T> values, Span<T> dense,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices, values.Length, dense.Length);
        ThrowIfUnusable();
        _worker.WaitUntilIdle();
        GatherSummed(Runner(cancellationToken), indices.ToArray(), values.ToArray(), dense);
    }

    /// <summary>Queues a sparse all-gather summed into <paramref name="dense"/>; see
    /// <see cref="SparseAllGather{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, Span{T}, CancellationToken)"/>. The entries are copied
    /// and checked before this returns.</summary>
    public ValueTask SparseAllGatherAsync<T>(ReadOnlyMemory<int> indices, ReadOnlyMemory<T> values, Memory<T> dense,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices.Span, values.Length, dense.Length);
        int[] indexCopy = indices.ToArray();
        T[] valueCopy = values.ToArray();
        int indexSpace = dense.Length;
        return new ValueTask(EnqueueComposite(cancellationToken, run =>
        {
            GatherSummed(run, indexCopy, valueCopy, dense.Span);
            return true;
        }).AsTask());
    }

    /// <summary>
    /// Sparse reduce-scatter: this rank receives the sum of every rank's entries whose index falls in its shard
    /// (<see cref="ShardOf"/> of <paramref name="indexSpace"/>), as ascending unique indices with their sums (fp32, in rank
    /// order then entry order, rounded once). Only the entries for a shard travel to its owner.
    /// </summary>
    /// <remarks>Runs as three collectives (the count matrix, then an all-to-all of indices and of values); indices received
    /// from peers are checked against this rank's shard before anything is accumulated. A cancellation that arrives after
    /// the first of the three has started faults the communicator.</remarks>
    /// <param name="indices">This rank's indices, each in [0, <paramref name="indexSpace"/>).</param>
    /// <param name="values">One value per index.</param>
    /// <param name="indexSpace">Size of the dense vector; the same on every rank.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="CollectiveDataException">A peer sent an index outside this rank's shard (nothing is returned).</exception>
    /// <inheritdoc cref="SparseAllGather{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, CancellationToken)"/>
    public SparseEntries<T> SparseReduceScatter<T>(ReadOnlySpan<int> indices, ReadOnlySpan<T> values, int indexSpace,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices, values.Length, indexSpace);
        ThrowIfUnusable();
        _worker.WaitUntilIdle();
        return ScatterEntries(Runner(cancellationToken), indices.ToArray(), values.ToArray(), indexSpace).ToEntries<T>();
    }

    /// <summary>Queues a sparse reduce-scatter; see <see cref="SparseReduceScatter{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, CancellationToken)"/>.
    /// The entries are copied and checked before this returns.</summary>
    public ValueTask<SparseEntries<T>> SparseReduceScatterAsync<T>(ReadOnlyMemory<int> indices, ReadOnlyMemory<T> values, int indexSpace,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices.Span, values.Length, indexSpace);
        int[] indexCopy = indices.ToArray();
        T[] valueCopy = values.ToArray();
        return EnqueueComposite(cancellationToken, run => ScatterEntries(run, indexCopy, valueCopy, indexSpace).ToEntries<T>());
    }

    /// <summary>
    /// Sparse reduce-scatter into a dense shard: <paramref name="shard"/> becomes this rank's shard of the sum of every
    /// rank's entries (zero where none), as in <see cref="SparseReduceScatter{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, CancellationToken)"/>.
    /// </summary>
    /// <remarks>Above <see cref="CommunicatorOptions.SparseDenseThreshold"/> the dense reduce-scatter of each rank's
    /// densified entries runs instead, as for the dense-result all-gather.</remarks>
    /// <param name="indices">This rank's indices, each in [0, <paramref name="indexSpace"/>).</param>
    /// <param name="values">One value per index.</param>
    /// <param name="indexSpace">Size of the dense vector; the same on every rank.</param>
    /// <param name="shard">Exactly <c>ShardOf(indexSpace, Rank).Length</c> elements; written only on success.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <inheritdoc cref="SparseReduceScatter{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, CancellationToken)"/>
    public void SparseReduceScatter<T>(ReadOnlySpan<int> indices, ReadOnlySpan<T> values, int indexSpace, Span<T> shard,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices, values.Length, indexSpace);
        CheckShardOutput(indexSpace, shard.Length, nameof(shard));
        ThrowIfUnusable();
        _worker.WaitUntilIdle();
        ScatterSummed(Runner(cancellationToken), indices.ToArray(), values.ToArray(), indexSpace, shard);
    }

    /// <summary>Queues a sparse reduce-scatter into <paramref name="shard"/>; see
    /// <see cref="SparseReduceScatter{T}(ReadOnlySpan{int}, ReadOnlySpan{T}, int, Span{T}, CancellationToken)"/>.
    /// The entries are copied and checked before this returns.</summary>
    public ValueTask SparseReduceScatterAsync<T>(ReadOnlyMemory<int> indices, ReadOnlyMemory<T> values, int indexSpace, Memory<T> shard,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckEntries<T>(indices.Span, values.Length, indexSpace);
        CheckShardOutput(indexSpace, shard.Length, nameof(shard));
        int[] indexCopy = indices.ToArray();
        T[] valueCopy = values.ToArray();
        return new ValueTask(EnqueueComposite(cancellationToken, run =>
        {
            ScatterSummed(run, indexCopy, valueCopy, indexSpace, shard.Span);
            return true;
        }).AsTask());
    }

    /// <summary>Runs the parts of a multi-collective operation one after another on the current thread.</summary>
    private delegate void CompositeRunner(string name, Action<CollectiveCall> body);

    /// <summary>A runner for one composite operation: its first part may be skipped by cancellation, later parts fault.</summary>
    private CompositeRunner Runner(CancellationToken cancellationToken)
    {
        bool started = false;
        return (name, body) =>
        {
            bool continues = started;
            started = true;
            RunNow(name, true, cancellationToken, body, continuesComposite: continues);
        };
    }

    /// <summary>Queues a composite operation as one work item, so its parts stay together in issue order.</summary>
    private ValueTask<TResult> EnqueueComposite<TResult>(CancellationToken cancellationToken, Func<CompositeRunner, TResult> work)
    {
        ThrowIfUnusable();
        var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _worker.Enqueue(() =>
        {
            try
            {
                completion.SetResult(work(Runner(cancellationToken)));
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
        return new ValueTask<TResult>(completion.Task);
    }

    /// <summary>Gathers every rank's entries; received indices are checked against the index space.</summary>
    private (int[] Indices, T[] Values, int[] Counts) GatherEntries<T>(CompositeRunner run, int[] indices, T[] values, int indexSpace)
        where T : unmanaged =>
        GatherEntries(run, indices, values, indexSpace, EntryCounts(GatherHeaders(run, "SparseAllGather", indexSpace, [indices.Length])));

    /// <summary>
    /// The dense-result all-gather: the sum of every rank's entries, or — at or above the density threshold, decided
    /// from the gathered counts so every rank decides alike — the dense all-reduce of each rank's own entries summed
    /// into a dense vector. The two agree bitwise for f32, and for 16-bit types when no rank repeats an index (the
    /// dense path rounds a rank's repeated entries to the element type before adding other ranks').
    /// </summary>
    private void GatherSummed<T>(CompositeRunner run, int[] indices, T[] values, Span<T> dense) where T : unmanaged
    {
        long[] counts = EntryCounts(GatherHeaders(run, "SparseAllGather", dense.Length, [indices.Length]));
        if (SparseDensity.PrefersDense(counts.Sum(), Size, dense.Length, _settings.SparseDenseThreshold))
        {
            AllReduceDensified(run, "SparseAllGather", indices, values, dense.Length, dense, shardOnly: false);
        }
        else
        {
            SumEntries(GatherEntries(run, indices, values, dense.Length, counts), dense.Length).WriteDense(dense);
        }
    }

    /// <summary>
    /// The dense path of the sparse collectives: this rank's entries summed (fp32, entry order, rounded once) into a
    /// dense vector, then the dense all-reduce, or reduce-scatter when <paramref name="shardOnly"/>, into <paramref name="result"/>.
    /// </summary>
    private unsafe void AllReduceDensified<T>(CompositeRunner run, string operation, int[] indices, T[] values, int indexSpace,
        Span<T> result, bool shardOnly) where T : unmanaged
    {
        var own = new SparseAccumulator(0, indexSpace);
        own.Add(operation, Rank, indices, values);
        // Pooled, as the accumulator's arrays: a vector per call would be a large-object allocation per call.
        T[] vector = ArrayPool<T>.Shared.Rent(indexSpace);
        T[] output = shardOnly ? ArrayPool<T>.Shared.Rent(result.Length) : vector;
        try
        {
            own.WriteDense<T>(vector.AsSpan(0, indexSpace));
            (Interop.kn_dtype dtype, Interop.kn_reduce_op nativeOp, float scale) = ReductionOf<T>(ReduceOp.Sum);
            CollectiveDescriptor scatter = Describe<T>(CollectiveKind.ReduceScatter, indexSpace, op: (int)ReduceOp.Sum);
            run(operation, call =>
            {
                fixed (T* input = vector)
                fixed (T* destination = output)
                {
                    var args = new ReductionArgs(dtype, sizeof(T), nativeOp, scale, indexSpace, (byte*)input, (byte*)destination);
                    if (shardOnly)
                    {
                        RunReduceScatter<T>(call, args, scatter);
                    }
                    else
                    {
                        RunAllReduce<T>(call, args, ReduceOp.Sum, bufferOffset: -1);
                    }
                }
            });
            output.AsSpan(0, result.Length).CopyTo(result);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(vector);
            if (shardOnly)
            {
                ArrayPool<T>.Shared.Return(output);
            }
        }
    }

    /// <summary>Every rank's entry count from the gathered headers, checked.</summary>
    private long[] EntryCounts(long[] headers)
    {
        var counts = new long[Size];
        long total = 0;
        for (int rank = 0; rank < Size; rank++)
        {
            long count = headers[rank * 2 + 1];
            total += count;
            if (count < 0 || total > Array.MaxLength)
            {
                throw new CollectiveDataException("SparseAllGather", rank, $"entry count {count} is negative or the total exceeds an array");
            }
            counts[rank] = count;
        }
        return counts;
    }

    private (int[] Indices, T[] Values, int[] Counts) GatherEntries<T>(CompositeRunner run, int[] indices, T[] values, int indexSpace, long[] counts)
        where T : unmanaged
    {
        long total = counts.Sum();
        var allIndices = new int[total];
        var allValues = new T[total];
        GatherV(run, "SparseAllGather", indices, allIndices, counts);
        GatherV(run, "SparseAllGather", values, allValues, counts);
        var intCounts = counts.Select(count => (int)count).ToArray();
        for (int rank = 0, start = 0; rank < Size; start += intCounts[rank], rank++)
        {
            CheckReceivedIndices("SparseAllGather", rank, allIndices.AsSpan(start, intCounts[rank]), 0, indexSpace);
        }
        return (allIndices, allValues, intCounts);
    }

    private static SparseEntries<T> Concatenated<T>((int[] Indices, T[] Values, int[] Counts) gathered) where T : unmanaged =>
        new(gathered.Indices, gathered.Values);

    /// <summary>Sums gathered entries over the whole index space, in rank order then entry order.</summary>
    private SparseAccumulator SumEntries<T>((int[] Indices, T[] Values, int[] Counts) gathered, int indexSpace) where T : unmanaged
    {
        var sums = new SparseAccumulator(0, indexSpace);
        for (int rank = 0, start = 0; rank < Size; start += gathered.Counts[rank], rank++)
        {
            sums.Add("SparseAllGather", rank, gathered.Indices.AsSpan(start, gathered.Counts[rank]), gathered.Values.AsSpan(start, gathered.Counts[rank]));
        }
        return sums;
    }

    private SparseAccumulator ScatterEntries<T>(CompositeRunner run, int[] indices, T[] values, int indexSpace) where T : unmanaged
    {
        (int[] sendIndices, T[] sendValues, long[] sendCounts) = BucketedByOwner(indices, values, indexSpace);
        long[] matrix = CountMatrix(GatherHeaders(run, "SparseReduceScatter", indexSpace, sendCounts));
        return ExchangeAndSum(run, sendIndices, sendValues, matrix, indexSpace);
    }

    /// <summary>The dense-shard reduce-scatter: the sparse exchange, or the dense reduce-scatter above the density threshold (see <see cref="GatherSummed"/>).</summary>
    private void ScatterSummed<T>(CompositeRunner run, int[] indices, T[] values, int indexSpace, Span<T> shard) where T : unmanaged
    {
        (int[] sendIndices, T[] sendValues, long[] sendCounts) = BucketedByOwner(indices, values, indexSpace);
        long[] matrix = CountMatrix(GatherHeaders(run, "SparseReduceScatter", indexSpace, sendCounts));
        if (SparseDensity.PrefersDense(matrix.Sum(), Size, indexSpace, _settings.SparseDenseThreshold))
        {
            AllReduceDensified(run, "SparseReduceScatter", indices, values, indexSpace, shard, shardOnly: true);
        }
        else
        {
            ExchangeAndSum(run, sendIndices, sendValues, matrix, indexSpace).WriteDense(shard);
        }
    }

    /// <summary>The entries grouped by owner shard, each group in entry order, and the group sizes.</summary>
    private (int[] Indices, T[] Values, long[] Counts) BucketedByOwner<T>(int[] indices, T[] values, int indexSpace) where T : unmanaged
    {
        var owners = new int[indices.Length];
        var sendCounts = new long[Size];
        for (int i = 0; i < indices.Length; i++)
        {
            owners[i] = OwnerOf(indices[i], indexSpace);
            sendCounts[owners[i]]++;
        }
        var bucketStart = new long[Size];
        for (int rank = 1; rank < Size; rank++)
        {
            bucketStart[rank] = bucketStart[rank - 1] + sendCounts[rank - 1];
        }
        var sendIndices = new int[indices.Length];
        var sendValues = new T[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            long position = bucketStart[owners[i]]++;
            sendIndices[position] = indices[i];
            sendValues[position] = values[i];
        }
        return (sendIndices, sendValues, sendCounts);
    }

    /// <summary>The gathered count matrix (row p: rank p's entries for each owner q), checked.</summary>
    private long[] CountMatrix(long[] headers)
    {
        var matrix = new long[Size * Size];
        long received = 0;
        for (int p = 0; p < Size; p++)
        {
            for (int q = 0; q < Size; q++)
            {
                long count = headers[p * (Size + 1) + 1 + q];
                if (count < 0 || count > Array.MaxLength)
                {
                    throw new CollectiveDataException("SparseReduceScatter", p, $"entry count {count} for rank {q} is invalid");
                }
                matrix[p * Size + q] = count;
            }
            received += matrix[p * Size + Rank];
        }
        if (received > Array.MaxLength)
        {
            throw new CollectiveDataException("SparseReduceScatter", Rank, $"{received} entries for this rank exceed an array");
        }
        return matrix;
    }

    private SparseAccumulator ExchangeAndSum<T>(CompositeRunner run, int[] sendIndices, T[] sendValues, long[] matrix, int indexSpace)
        where T : unmanaged
    {
        long received = 0;
        for (int p = 0; p < Size; p++)
        {
            received += matrix[p * Size + Rank];
        }
        var receivedIndices = new int[received];
        var receivedValues = new T[received];
        ExchangeV(run, sendIndices, receivedIndices, matrix);
        ExchangeV(run, sendValues, receivedValues, matrix);

        (long shardStart, long shardLength) = Shards.Of(indexSpace, Size, Rank);
        var sums = new SparseAccumulator(shardStart, (int)shardLength);
        for (int p = 0, start = 0; p < Size; start += (int)matrix[p * Size + Rank], p++)
        {
            int count = (int)matrix[p * Size + Rank];
            sums.Add("SparseReduceScatter", p, receivedIndices.AsSpan(start, count), receivedValues.AsSpan(start, count));
        }
        return sums;
    }

    /// <summary>
    /// All-gathers <c>[indexSpace, entries...]</c> from every rank and checks that all index spaces agree; every rank sees
    /// the same gathered table, so a disagreement throws the same mismatch on all.
    /// </summary>
    private long[] GatherHeaders(CompositeRunner run, string operation, int indexSpace, long[] entries)
    {
        var mine = new long[entries.Length + 1];
        mine[0] = indexSpace;
        entries.CopyTo(mine, 1);
        var all = new long[mine.Length * Size];
        var counts = new long[Size];
        Array.Fill(counts, mine.Length);
        GatherV(run, operation, mine, all, counts);
        List<int>? differing = null;
        for (int rank = 1; rank < Size; rank++)
        {
            if (all[rank * mine.Length] != all[0])
            {
                (differing ??= []).Add(rank);
            }
        }
        if (differing is not null)
        {
            throw new CollectiveMismatchException(operation, "IndexSpace", differing,
                $"rank 0 has {all[0]}, " + string.Join(", ", differing.Select(rank => $"rank {rank} has {all[rank * mine.Length]}")));
        }
        return all;
    }

    private unsafe void GatherV<T>(CompositeRunner run, string operation, T[] input, T[] output, long[] counts) where T : unmanaged
    {
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllGatherV, input.Length, total: output.Length, shape: HashOf(counts));
        run(operation, call =>
        {
            fixed (T* source = input)
            fixed (T* destination = output)
            {
                RunAllGatherV<T>(call, (byte*)source, (byte*)destination, counts, descriptor);
            }
        });
    }

    private unsafe void ExchangeV<T>(CompositeRunner run, T[] send, T[] receive, long[] matrix) where T : unmanaged
    {
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllToAllV, send.Length, total: matrix.Sum(), shape: HashOf(matrix));
        run("SparseReduceScatter", call =>
        {
            fixed (T* source = send)
            fixed (T* destination = receive)
            {
                RunAllToAllV<T>(call, (byte*)source, (byte*)destination, matrix, descriptor);
            }
        });
    }

    private static void CheckEntries<T>(ReadOnlySpan<int> indices, int valueCount, int indexSpace) where T : unmanaged
    {
        ElementTypes.Of<T>();
        ArgumentOutOfRangeException.ThrowIfNegative(indexSpace);
        if (valueCount != indices.Length)
        {
            throw new ArgumentException($"values has {valueCount} elements but indices has {indices.Length}; they must be equal.", "values");
        }
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)indexSpace)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"indices[{i}] is outside the index space [0, {indexSpace}).");
            }
        }
    }

    private static void CheckReceivedIndices(string operation, int sourceRank, ReadOnlySpan<int> indices, long start, long end)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < start || indices[i] >= end)
            {
                throw new CollectiveDataException(operation, sourceRank, $"index {indices[i]} at entry {i} is outside [{start}, {end})");
            }
        }
    }

    /// <summary>The rank whose shard (<see cref="Shards"/>) holds <paramref name="index"/>.</summary>
    private int OwnerOf(int index, int indexSpace)
    {
        long baseLength = indexSpace / Size, remainder = indexSpace % Size;
        long longShards = remainder * (baseLength + 1);
        return (int)(index < longShards ? index / (baseLength + 1) : remainder + (index - longShards) / baseLength);
    }
}
