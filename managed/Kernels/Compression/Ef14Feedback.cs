namespace Kernels.Compression;

/// <summary>EF14: <c>c = g + e</c>, send <c>C(c)</c>, <c>e = -(decompress(C(c)) - c)</c>; see <see cref="ErrorFeedback.Ef14"/>.</summary>
internal sealed class Ef14Feedback : ErrorFeedback
{
    // Starts at -0, the additive identity: the first c is exactly g.
    private float[]? _residual;

    internal override string Kind => "Ef14";

    internal override TMessage Compress<TMessage>(ICompressor<TMessage> compressor, ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        CheckStep(gradient, shape);
        float[] residual = _residual ?? Filled(shape.Length, -0f);
        TMessage message;
        if (compressor is IFusedErrorFeedback<TMessage> fused)
        {
            // Validates everything it needs before the native call updates the residual in place.
            message = fused.CompressWithResidual(gradient, shape, residual);
        }
        else
        {
            float[] compensated = ResidualArithmetic.Sum(gradient, residual);
            message = compressor.Compress(compensated, shape);
            float[] decompressed = Decompressed(compressor, message, gradient.Length);
            ResidualArithmetic.StoreResidual(compensated, decompressed, residual);
        }
        _residual = residual;
        ShapeBinding.Shape = shape;
        return message;
    }

    internal override void Reconstruct(Span<float> aggregate) => CheckAggregate(aggregate, _residual);

    internal override void SaveState(BinaryWriter writer) => SaveArrays(writer, _residual);

    internal override Action ReadState(BinaryReader reader)
    {
        (MatrixShape? shape, float[]?[] arrays) = ReadArrays(reader, "residual");
        return () =>
        {
            ShapeBinding.Shape = shape;
            _residual = arrays[0];
        };
    }
}
