using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// PowerSGD through all-reduces of P and Q (Vogels et al. 2019): <c>P = M Q</c>, all-reduce (sum) P, orthonormalise it,
/// <c>Q = M^T P</c>, all-reduce (average) Q; the average estimate is <c>P Q^T</c> and the averaged Q is every rank's next warm
/// start. Error feedback sees the rank's own approximation <c>P Q_local^T</c>, so its residual is what that rank's part lost.
/// Steps PowerSGD sends dense (warm-up, matrices too small to gain, a non-finite summed P, which every rank sees alike) are a
/// dense all-reduce (average) of the input.
/// </summary>
internal sealed class PowerSgdAllReduceProtocol : IAllReduceProtocol
{
    private readonly PowerSgd _compressor;
    private readonly CollectiveStage _stage;
    private readonly ErrorFeedbackCompressor<LowRankMessage> _worker;

    internal PowerSgdAllReduceProtocol(PowerSgd compressor, ErrorFeedback feedback)
    {
        _compressor = compressor;
        _stage = new CollectiveStage(compressor);
        _worker = new ErrorFeedbackCompressor<LowRankMessage>(_stage, feedback);
    }

    public string Kind => "PowerSgdAllReduce";

    public void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape) => _compressor.CheckStep(gradient, shape);

    public CompressionReport Run(Communicator communicator, ReadOnlySpan<float> gradient, Span<float> average, MatrixShape shape,
        CancellationToken cancellationToken)
    {
        _stage.Begin(communicator, cancellationToken);
        _worker.Compress(gradient, shape);
        _compressor.Decompress(_stage.Aggregate!, average);
        _worker.Reconstruct(average);
        return new CompressionReport(_stage.BytesSent, TrafficModel.Dense(gradient.Length, communicator.Size));
    }

    public void SaveState(BinaryWriter writer) => _worker.WriteState(writer);

    public Action ReadState(BinaryReader reader) => _worker.ReadState(reader);

    /// <summary>
    /// PowerSGD's compression with the all-reduces inside, as a compressor the error-feedback layer can wrap: it returns this
    /// rank's own message and keeps the aggregate for the protocol.
    /// </summary>
    private sealed class CollectiveStage(PowerSgd compressor) : ICompressor<LowRankMessage>, IStatefulPart
    {
        private Communicator? _communicator;
        private CancellationToken _cancellationToken;

        internal LowRankMessage? Aggregate { get; private set; }

        internal long BytesSent { get; private set; }

        public bool IsLinear => true;

        internal void Begin(Communicator communicator, CancellationToken cancellationToken)
        {
            _communicator = communicator;
            _cancellationToken = cancellationToken;
            Aggregate = null;
            BytesSent = 0;
        }

        public LowRankMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape)
        {
            Communicator communicator = _communicator!;
            compressor.CheckStep(gradient, shape);
            if (compressor.CompressesNextStep(shape))
            {
                float[] p = compressor.MultiplyByWarmStartQ(gradient, shape);
                AllReduce(communicator, p, ReduceOp.Sum);
                if (PowerSgd.AllFinite(p))
                {
                    compressor.OrthonormalizeBlocks(p, shape);
                    float[] localQ = compressor.MultiplyTransposedByP(gradient, p, shape);
                    var averageQ = (float[])localQ.Clone();
                    AllReduce(communicator, averageQ, ReduceOp.Avg);
                    compressor.CommitStep(shape, averageQ);
                    Aggregate = LowRankMessage.Factors(shape, compressor.Rank, compressor.Matrices, p, (float[])averageQ.Clone());
                    return LowRankMessage.Factors(shape, compressor.Rank, compressor.Matrices, p, localQ);
                }
            }
            float[] dense = gradient.ToArray();
            AllReduce(communicator, dense, ReduceOp.Avg);
            compressor.CommitStep(shape, null);
            Aggregate = LowRankMessage.Uncompressed(shape, dense);
            return LowRankMessage.Uncompressed(shape, gradient.ToArray());
        }

        public void Decompress(LowRankMessage message, Span<float> destination) => compressor.Decompress(message, destination);

        private void AllReduce(Communicator communicator, float[] buffer, ReduceOp op)
        {
            communicator.AllReduce<float>(buffer, op, _cancellationToken);
            BytesSent += TrafficModel.AllReduce(buffer.Length * (long)sizeof(float), communicator.Size);
        }

        string IStatefulPart.StateKind => ((IStatefulPart)compressor).StateKind;

        void IStatefulPart.SaveState(BinaryWriter writer) => ((IStatefulPart)compressor).SaveState(writer);

        Action IStatefulPart.ReadState(BinaryReader reader) => ((IStatefulPart)compressor).ReadState(reader);
    }
}
