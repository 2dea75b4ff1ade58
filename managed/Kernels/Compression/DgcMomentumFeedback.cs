namespace Kernels.Compression;

/// <summary>
/// Deep Gradient Compression's momentum correction with factor masking: <c>u = m * u + g</c>, <c>v = v + u</c>, send the
/// sparsified <c>v</c>, then zero <c>u</c> and <c>v</c> at the sent coordinates. See <see cref="ErrorFeedback.DgcMomentum"/>.
/// </summary>
internal sealed class DgcMomentumFeedback(float momentum) : ErrorFeedback
{
    // Both start at -0, the additive identity, so the first v is exactly g; masked coordinates go back to -0.
    private float[]? _velocity;     // u
    private float[]? _accumulated;  // v

    internal override string Kind => $"DgcMomentum(m={momentum:R})";

    internal override void CheckCompressor<TMessage>()
    {
        if (typeof(TMessage) != typeof(SparseMessage))
        {
            throw new ArgumentException(
                $"DGC momentum correction masks the coordinates a sparsifying compressor sent; it needs {nameof(SparseMessage)} messages (TopK), not {typeof(TMessage).Name}.",
                "feedback");
        }
    }

    internal override TMessage Compress<TMessage>(ICompressor<TMessage> compressor, ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        CheckStep(gradient, shape);
        // New arrays, installed only after the compressor succeeded: a rejected step leaves the state as it was.
        float[] velocity = (float[]?)_velocity?.Clone() ?? Filled(shape.Length, -0f);
        float[] accumulated = (float[]?)_accumulated?.Clone() ?? Filled(shape.Length, -0f);
        for (int i = 0; i < velocity.Length; i++)
        {
            // Multiply then add, never fused (the JIT does not contract), so every machine computes the same bits.
            velocity[i] = momentum * velocity[i] + gradient[i];
            accumulated[i] = accumulated[i] + velocity[i];
        }
        TMessage message = compressor.Compress(accumulated, shape);
        // Factor masking: what was sent leaves both the accumulation and the momentum, so it is not applied twice.
        foreach (int index in ((SparseMessage)(object)message).Indices)
        {
            velocity[index] = -0f;
            accumulated[index] = -0f;
        }
        _velocity = velocity;
        _accumulated = accumulated;
        ShapeBinding.Shape = shape;
        return message;
    }

    internal override void Reconstruct(Span<float> aggregate) => CheckAggregate(aggregate, _accumulated);

    internal override void SaveState(BinaryWriter writer) => SaveArrays(writer, _velocity, _accumulated);

    internal override Action ReadState(BinaryReader reader)
    {
        (MatrixShape? shape, float[]?[] arrays) = ReadArrays(reader, "velocity u", "accumulation v");
        return () =>
        {
            ShapeBinding.Shape = shape;
            _velocity = arrays[0];
            _accumulated = arrays[1];
        };
    }
}
