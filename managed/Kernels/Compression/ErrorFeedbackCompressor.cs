namespace Kernels.Compression;

/// <summary>
/// A compressor composed with an error-feedback layer: the worker calls <see cref="Compress"/>, the messages are aggregated
/// (summed or gathered and decompressed, then averaged), and the receiver calls <see cref="Reconstruct"/> on the result to get
/// the gradient estimate. One instance per tensor.
/// </summary>
/// <typeparam name="TMessage">The compressor's message type.</typeparam>
/// <remarks>
/// All state (residuals, estimates, warm-start Q, step counters, RNG position) saves with <see cref="SaveState"/> and restores
/// bit-exactly with <see cref="RestoreState"/>: a restored instance continues exactly as the saved one would have.
/// </remarks>
public sealed class ErrorFeedbackCompressor<TMessage> : ICompressor<TMessage> where TMessage : CompressedMessage
{
    private readonly ICompressor<TMessage> _compressor;
    private readonly ErrorFeedback _feedback;

    /// <param name="compressor">The compressor; its state is saved with this instance's when it is one of this library's.</param>
    /// <param name="feedback">A fresh error-feedback layer (e.g. <see cref="ErrorFeedback.Ef14"/>), not shared with another instance.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="feedback"/> cannot work with this message type (DGC momentum needs
    /// <see cref="SparseMessage"/>).</exception>
    public ErrorFeedbackCompressor(ICompressor<TMessage> compressor, ErrorFeedback feedback)
    {
        ArgumentNullException.ThrowIfNull(compressor);
        ArgumentNullException.ThrowIfNull(feedback);
        feedback.CheckCompressor<TMessage>();
        _compressor = compressor;
        _feedback = feedback;
    }

    /// <inheritdoc/>
    public bool IsLinear => _compressor.IsLinear;

    /// <summary>One worker step: compresses <paramref name="gradient"/> together with the error-feedback memory and updates the memory.</summary>
    /// <exception cref="ArgumentException">The shape does not match the gradient, differs from the first step's (names <c>shape</c>),
    /// or does not fit the compressor; the state is then unchanged.</exception>
    public TMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape) => _feedback.Compress(_compressor, gradient, shape);

    /// <inheritdoc/>
    public void Decompress(TMessage message, Span<float> destination) => _compressor.Decompress(message, destination);

    /// <summary>
    /// Receiver side: turns <paramref name="aggregate"/>, the average of the ranks' decompressed messages, into the gradient
    /// estimate in place. EF14 and no feedback use it as it is; EF21 and EControl add it to their running estimate.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="aggregate"/> does not have the tensor's length.</exception>
    public void Reconstruct(Span<float> aggregate) => _feedback.Reconstruct(aggregate);

    /// <summary>Writes the state of the error-feedback layer and the compressor to <paramref name="state"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public void SaveState(Stream state) => StateStream.Save(state, WriteState);

    /// <summary>Replaces the state with one written by <see cref="SaveState"/> of an identically configured instance.</summary>
    /// <exception cref="ArgumentException">(names <c>state</c>) The data is not compression state, has another format version, was saved by
    /// another compressor, error-feedback kind or settings, for another shape than this instance's, or is truncated. Nothing changes then.</exception>
    public void RestoreState(Stream state) => StateStream.Restore(state, ReadState);

    /// <summary>What <see cref="SaveState"/> writes, into a writer shared with an enclosing object's state.</summary>
    internal void WriteState(BinaryWriter writer)
    {
        StateFormat.WriteHeader(writer);
        StateFormat.WriteKind(writer, Kind);
        _feedback.SaveState(writer);
        (_compressor as IStatefulPart)?.SaveState(writer);
    }

    /// <summary>Reads and validates what <see cref="WriteState"/> wrote, changing nothing; returns the action that installs it.</summary>
    internal Action ReadState(BinaryReader reader)
    {
        StateFormat.ReadHeader(reader);
        StateFormat.ReadKind(reader, Kind);
        Action installFeedback = _feedback.ReadState(reader);
        Action installCompressor = (_compressor as IStatefulPart)?.ReadState(reader) ?? (() => { });
        return () =>
        {
            installFeedback();
            installCompressor();
        };
    }

    private string Kind => $"{_feedback.Kind}+{(_compressor as IStatefulPart)?.StateKind ?? _compressor.GetType().FullName}";
}
