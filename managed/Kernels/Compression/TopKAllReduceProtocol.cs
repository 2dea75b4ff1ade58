using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// Top-k through the sparse all-gather or the sparse reduce-scatter followed by an all-gather of the dense shards (the choice:
/// <see cref="SparseExchangeCost.PrefersReduceScatter"/>). Both sum every rank's values per index in fp32 in rank order (the messages hold each index at
/// most once), then multiply by 1/n (as the dense all-reduce's Avg), so both give every rank the same bits, and the same bits as
/// each other.
/// </summary>
internal sealed class TopKAllReduceProtocol(TopK compressor, ErrorFeedback feedback, SparseExchange exchange) : IAllReduceProtocol
{
    private readonly TopK _compressor = compressor;
    private readonly ErrorFeedbackCompressor<SparseMessage> _worker = new(compressor, feedback);

    // The exchange does not change the state, so state saved under either restores under the other; the name is the one
    // saved states have always carried.
    public string Kind => "SparseAllGather";

    public void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        if (_compressor.K > gradient.Length)
        {
            throw new ArgumentOutOfRangeException("k", _compressor.K, $"k = {_compressor.K} exceeds the gradient's {gradient.Length} elements.");
        }
    }

    /// <summary>The exchange a step of this length runs at this world size.</summary>
    internal SparseExchange ExchangeFor(int length, int ranks) => exchange != SparseExchange.Auto
        ? exchange
        : SparseExchangeCost.PrefersReduceScatter(_compressor.K, length, ranks) ? SparseExchange.ReduceScatter : SparseExchange.AllGather;

    public CompressionReport Run(Communicator communicator, ReadOnlySpan<float> gradient, Span<float> average, MatrixShape shape,
        CancellationToken cancellationToken)
    {
        SparseMessage message = _worker.Compress(gradient, shape);
        long sent = ExchangeFor(gradient.Length, communicator.Size) == SparseExchange.ReduceScatter
            ? ReduceScatterThenGather(communicator, message, average, cancellationToken)
            : GatherAll(communicator, message, average, cancellationToken);
        float scale = 1f / communicator.Size;
        for (int i = 0; i < average.Length; i++) average[i] *= scale;
        _worker.Reconstruct(average);
        return new CompressionReport(sent, TrafficModel.Dense(gradient.Length, communicator.Size));
    }

    /// <summary>Every rank's pairs, scatter-added into <paramref name="sum"/> in rank order. Returns the bytes this rank sent.</summary>
    private static long GatherAll(Communicator communicator, SparseMessage message, Span<float> sum, CancellationToken cancellationToken)
    {
        // The entries form (no switch to a dense all-reduce inside the communicator), so the bytes are those of this exchange.
        SparseEntries<float> all = communicator.SparseAllGather(message.Indices, message.Values, sum.Length, cancellationToken);
        sum.Clear();
        Sparse.ScatterAdd(all.Indices, all.Values, sum);
        return SparseExchangeCost.AllGatherBytes(message.Count, communicator.Size);
    }

    /// <summary>
    /// The sums of this rank's shard from the sparse reduce-scatter, written into its shard of <paramref name="sum"/>, then the
    /// all-gather of every shard. Returns the bytes this rank sent.
    /// </summary>
    private static long ReduceScatterThenGather(Communicator communicator, SparseMessage message, Span<float> sum, CancellationToken cancellationToken)
    {
        int n = communicator.Size;
        SparseEntries<float> own = communicator.SparseReduceScatter(message.Indices, message.Values, sum.Length, cancellationToken);
        (int offset, int length) = communicator.ShardOf(sum.Length, communicator.Rank);
        var shard = new float[length];
        for (int j = 0; j < own.Indices.Length; j++) shard[own.Indices[j] - offset] = own.Values[j];
        var counts = new int[n];
        for (int rank = 0; rank < n; rank++) counts[rank] = communicator.ShardOf(sum.Length, rank).Length;
        communicator.AllGatherV<float>(shard, sum, counts, cancellationToken);
        // Pairs whose index this rank owns stay here; indices ascend, so they are one contiguous run.
        int first = message.Indices.BinarySearch(offset), last = message.Indices.BinarySearch(offset + length);
        int kept = (last < 0 ? ~last : last) - (first < 0 ? ~first : first);
        return SparseExchangeCost.ReduceScatterBytes(message.Count - kept, length, n);
    }

    public void SaveState(BinaryWriter writer) => _worker.WriteState(writer);

    public Action ReadState(BinaryReader reader) => _worker.ReadState(reader);
}
