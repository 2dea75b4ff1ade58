namespace Kernels.Compression;

/// <summary>No memory: the compressor's error is dropped. See <see cref="ErrorFeedback.None"/>.</summary>
internal sealed class NoFeedback : ErrorFeedback
{
    internal override string Kind => "None";

    internal override TMessage Compress<TMessage>(ICompressor<TMessage> compressor, ReadOnlySpan<float> gradient, MatrixShape shape) =>
        compressor.Compress(gradient, shape);

    internal override void Reconstruct(Span<float> aggregate)
    {
    }

    internal override void SaveState(BinaryWriter writer)
    {
    }

    internal override Action ReadState(BinaryReader reader) => () => { };
}
