namespace Kernels.Compression;

/// <summary>
/// Turns a dense fp32 gradient into a compact message of type <typeparamref name="TMessage"/> and back
/// (the compressor of GRACE's compressor / memory / communicator split; error feedback is the separate
/// <see cref="ErrorFeedback"/> layer).
/// </summary>
/// <typeparam name="TMessage">The message this compressor produces.</typeparam>
public interface ICompressor<TMessage> where TMessage : CompressedMessage
{
    /// <summary>
    /// True when messages of several ranks can be summed element-wise as they are (an all-reduce of their arrays
    /// gives the message of the summed gradients, as with PowerSGD's P and Q); false when they must be gathered
    /// and decompressed one by one (top-k indices differ per rank, 1-bit scales differ per rank).
    /// </summary>
    bool IsLinear { get; }

    /// <summary>Compresses <paramref name="gradient"/>, which has the shape <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The shape does not match the gradient's length, a setting does not fit it
    /// (e.g. k &gt; n), or a stateful compressor saw another shape before; its state is then unchanged.</exception>
    TMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape);

    /// <summary>Writes the dense buffer <paramref name="message"/> stands for into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not have the message's length.</exception>
    void Decompress(TMessage message, Span<float> destination);
}
