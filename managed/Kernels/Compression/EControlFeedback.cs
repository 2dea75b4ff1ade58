namespace Kernels.Compression;

/// <summary>
/// EControl: <c>delta = C(eta * e + g - h)</c>, <c>e = e + g - h - decompress(delta)</c>, <c>h += decompress(delta)</c>;
/// the receiver sums the aggregates. See <see cref="ErrorFeedback.EControl"/>.
/// </summary>
internal sealed class EControlFeedback(float eta) : ErrorFeedback
{
    private float[]? _error;             // e, starts at -0 (the additive identity)
    private float[]? _estimate;          // h, starts at +0 so g - h is exactly g
    private float[]? _receiverEstimate;  // starts at -0 so the first sum is exactly the aggregate

    internal override string Kind => $"EControl(eta={eta:R})";

    internal override TMessage Compress<TMessage>(ICompressor<TMessage> compressor, ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        CheckStep(gradient, shape);
        float[] error = _error ?? Filled(shape.Length, -0f);
        float[] estimate = _estimate ?? new float[shape.Length];
        var input = new float[gradient.Length];
        var innovation = new float[gradient.Length];  // e + g - h, evaluated left to right
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = eta * error[i] + gradient[i] - estimate[i];
            innovation[i] = error[i] + gradient[i] - estimate[i];
        }
        TMessage message = compressor.Compress(input, shape);
        float[] decompressed = Decompressed(compressor, message, gradient.Length);
        ResidualArithmetic.StoreResidual(innovation, decompressed, error);
        ResidualArithmetic.Accumulate(estimate, decompressed);
        _error = error;
        _estimate = estimate;
        ShapeBinding.Shape = shape;
        return message;
    }

    internal override void Reconstruct(Span<float> aggregate) => AddToReceiverEstimate(ref _receiverEstimate, aggregate);

    internal override void SaveState(BinaryWriter writer) => SaveArrays(writer, _error, _estimate, _receiverEstimate);

    internal override Action ReadState(BinaryReader reader)
    {
        (MatrixShape? shape, float[]?[] arrays) = ReadArrays(reader, "error e", "worker estimate h", "receiver estimate");
        return () =>
        {
            ShapeBinding.Shape = shape;
            _error = arrays[0];
            _estimate = arrays[1];
            _receiverEstimate = arrays[2];
        };
    }
}
