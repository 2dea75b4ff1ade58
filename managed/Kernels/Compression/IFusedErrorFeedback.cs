namespace Kernels.Compression;

/// <summary>
/// A compressor with a fused kernel for EF14's step: it computes <c>c = g + e</c>, the message of <c>c</c> and
/// <c>e = -(decompress(message) - c)</c> in one pass, with the same bits as the unfused sequence.
/// </summary>
internal interface IFusedErrorFeedback<TMessage> where TMessage : CompressedMessage
{
    TMessage CompressWithResidual(ReadOnlySpan<float> gradient, MatrixShape shape, Span<float> residual);
}
