using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// Top-k through the sparse all-gather: every rank's (index, value) pairs reach every rank and are summed into the dense result
/// in fp32, in rank order then entry order, then multiplied by 1/n (as the dense all-reduce's Avg), so every rank gets the same bits.
/// </summary>
internal sealed class SparseAllGatherProtocol(TopK compressor, ErrorFeedback feedback) : IAllReduceProtocol
{
    // The sparse all-gather first exchanges each rank's [index space, entry count] as two longs.
    private const long HeaderBytes = 2 * sizeof(long);

    private readonly TopK _compressor = compressor;
    private readonly ErrorFeedbackCompressor<SparseMessage> _worker = new(compressor, feedback);

    public string Kind => "SparseAllGather";

    public void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        if (_compressor.K > gradient.Length)
        {
            throw new ArgumentOutOfRangeException("k", _compressor.K, $"k = {_compressor.K} exceeds the gradient's {gradient.Length} elements.");
        }
    }

    public CompressionReport Run(Communicator communicator, ReadOnlySpan<float> gradient, Span<float> average, MatrixShape shape,
        CancellationToken cancellationToken)
    {
        SparseMessage message = _worker.Compress(gradient, shape);
        communicator.SparseAllGather(message.Indices, message.Values, average, cancellationToken);
        float scale = 1f / communicator.Size;
        for (int i = 0; i < average.Length; i++) average[i] *= scale;
        _worker.Reconstruct(average);
        return new CompressionReport(TrafficModel.AllGather(message.PayloadBytes + HeaderBytes, communicator.Size),
            TrafficModel.Dense(gradient.Length, communicator.Size));
    }

    public void SaveState(BinaryWriter writer) => _worker.WriteState(writer);

    public Action ReadState(BinaryReader reader) => _worker.ReadState(reader);
}
