namespace Kernels.Compression;

/// <summary>EF21: send <c>C(g - h)</c>, <c>h += decompress</c>; the receiver sums the aggregates. See <see cref="ErrorFeedback.Ef21"/>.</summary>
internal sealed class Ef21Feedback : ErrorFeedback
{
    private float[]? _estimate;          // h: this worker's gradient estimate, starts at +0 so g - h is exactly g
    private float[]? _receiverEstimate;  // the running sum of aggregates, starts at -0 so the first sum is exactly the aggregate

    internal override string Kind => "Ef21";

    internal override TMessage Compress<TMessage>(ICompressor<TMessage> compressor, ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        CheckStep(gradient, shape);
        float[] estimate = _estimate ?? new float[shape.Length];
        TMessage message = compressor.Compress(ResidualArithmetic.Difference(gradient, estimate), shape);
        ResidualArithmetic.Accumulate(estimate, Decompressed(compressor, message, gradient.Length));
        _estimate = estimate;
        ShapeBinding.Shape = shape;
        return message;
    }

    internal override void Reconstruct(Span<float> aggregate) => AddToReceiverEstimate(ref _receiverEstimate, aggregate);

    internal override void SaveState(BinaryWriter writer) => SaveArrays(writer, _estimate, _receiverEstimate);

    internal override Action ReadState(BinaryReader reader)
    {
        (MatrixShape? shape, float[]?[] arrays) = ReadArrays(reader, "worker estimate h", "receiver estimate");
        return () =>
        {
            ShapeBinding.Shape = shape;
            _estimate = arrays[0];
            _receiverEstimate = arrays[1];
        };
    }
}
