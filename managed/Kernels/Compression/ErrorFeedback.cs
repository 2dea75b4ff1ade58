namespace Kernels.Compression;

/// <summary>
/// Error feedback: the memory layer that makes a biased compressor converge, kept separate from the compressor and
/// composed with it by <see cref="ErrorFeedbackCompressor{TMessage}"/>. One instance holds the state of one tensor.
/// </summary>
/// <remarks>
/// <para>The arithmetic is element-wise fp32, so a NaN or infinity in one gradient element reaches only that element's
/// residual and estimate (unless the compressor itself spreads it, which none of this library's compressors do).</para>
/// <para>Residuals are updated as <c>-(d - c)</c> rather than <c>c - d</c>: the same value, except that an element the
/// compressor reproduced exactly leaves -0, the additive identity, so <c>g + e</c> is then exactly <c>g</c> (even for
/// g = -0) and an exact compressor under EF14 is bit-identical to no compression. EF21 and EControl rebuild the gradient at
/// the receiver as <c>h + (g - h)</c>: with an exact compressor that is g bit for bit on the first step and within one
/// rounding of <c>g - h</c> afterwards.</para>
/// </remarks>
public abstract class ErrorFeedback
{
    private protected ShapeGuard ShapeBinding;

    private protected ErrorFeedback()
    {
    }

    /// <summary>
    /// EF14 (Seide et al. 2014; the documented default): <c>c = g + e</c>, send <c>C(c)</c>, <c>e = c - decompress(C(c))</c>.
    /// The receiver uses the aggregated messages as they are.
    /// </summary>
    public static ErrorFeedback Ef14() => new Ef14Feedback();

    /// <summary>
    /// EF21 (Richtárik et al. 2021): send <c>delta = C(g - h)</c>, then <c>h = h + decompress(delta)</c>; the receiver keeps the
    /// running sum of the aggregated deltas as the gradient estimate (<see cref="ErrorFeedbackCompressor{TMessage}.Reconstruct"/>).
    /// </summary>
    public static ErrorFeedback Ef21() => new Ef21Feedback();

    /// <summary>
    /// EControl (Gao, Islamov, Stich 2024): <c>delta = C(eta * e + g - h)</c>, <c>e = e + g - h - decompress(delta)</c>,
    /// <c>h = h + decompress(delta)</c>; the receiver keeps the running sum of the aggregated deltas as the estimate.
    /// </summary>
    /// <param name="eta">Weight of the accumulated error; finite and in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eta"/> is outside (0, 1].</exception>
    public static ErrorFeedback EControl(float eta)
    {
        if (!(eta > 0f && eta <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be in (0, 1].");
        }
        return new EControlFeedback(eta);
    }

    /// <summary>
    /// Deep Gradient Compression's momentum correction and factor masking (Lin et al. 2018), for top-k: the worker keeps a
    /// velocity <c>u = momentum * u + g</c> and an accumulation <c>v = v + u</c>, sends the top-k of <c>v</c>, then sets <c>u</c> and
    /// <c>v</c> to zero at the sent coordinates. The message already carries the momentum: apply the aggregate with plain SGD
    /// (no optimizer momentum). The receiver uses the aggregate as it is.
    /// </summary>
    /// <param name="momentum">The momentum m; finite and in [0, 1). With 0 it is EF14 for top-k.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="momentum"/> is outside [0, 1).</exception>
    /// <remarks>Only sparse messages have "sent coordinates": composing it with a compressor other than <see cref="TopK"/>'s
    /// message type throws <see cref="ArgumentException"/> from the <see cref="ErrorFeedbackCompressor{TMessage}"/> constructor.
    /// A non-finite gradient element stays in that element's u and v until it is sent (top-k ranks NaN and infinities first),
    /// and masking then clears it.</remarks>
    public static ErrorFeedback DgcMomentum(float momentum)
    {
        if (!(momentum >= 0f && momentum < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1).");
        }
        return new DgcMomentumFeedback(momentum);
    }

    /// <summary>No error feedback: the compressor's error is dropped (the baseline that shows why error feedback matters).</summary>
    public static ErrorFeedback None() => new NoFeedback();

    /// <summary>Type and settings, for saved state.</summary>
    internal abstract string Kind { get; }

    /// <summary>Throws when this layer cannot work with messages of type <typeparamref name="TMessage"/>; every layer but DGC takes any.</summary>
    /// <exception cref="ArgumentException">The message type does not fit (names <c>feedback</c>).</exception>
    internal virtual void CheckCompressor<TMessage>() where TMessage : CompressedMessage
    {
    }

    /// <summary>One worker step: compress <paramref name="gradient"/> with the layer's memory and update the memory.</summary>
    internal abstract TMessage Compress<TMessage>(ICompressor<TMessage> compressor, ReadOnlySpan<float> gradient, MatrixShape shape)
        where TMessage : CompressedMessage;

    /// <summary>Receiver side: turns the aggregated decompressed messages into the gradient estimate, in place.</summary>
    internal abstract void Reconstruct(Span<float> aggregate);

    internal abstract void SaveState(BinaryWriter writer);

    /// <summary>Validates the saved state and returns the action that installs it (see <see cref="IStatefulPart.ReadState"/>).</summary>
    internal abstract Action ReadState(BinaryReader reader);

    /// <summary>
    /// Checks a worker step's arguments before anything changes: the gradient matches the shape and the shape matches the one
    /// the state is bound to.
    /// </summary>
    private protected void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape)
    {
        shape.Validate(gradient.Length, nameof(gradient), nameof(shape));
        ShapeBinding.Check(shape, Kind);
    }

    /// <summary>The receiver's aggregate must have the bound shape's length (any length before the first step binds one).</summary>
    private protected void CheckAggregate(ReadOnlySpan<float> aggregate, float[]? state)
    {
        long expected = state?.Length ?? ShapeBinding.Shape?.Length ?? aggregate.Length;
        if (aggregate.Length != expected)
        {
            throw new ArgumentException($"aggregate has {aggregate.Length} elements but this {Kind} state holds {expected}.", nameof(aggregate));
        }
    }

    /// <summary>
    /// Receiver side of the kinds that track an estimate (EF21, EControl): the ranks' aggregates are innovations, so the
    /// receiver keeps their running sum, started at -0 so that the first sum is exactly the first aggregate.
    /// </summary>
    private protected void AddToReceiverEstimate(ref float[]? receiverEstimate, Span<float> aggregate)
    {
        CheckAggregate(aggregate, receiverEstimate);
        receiverEstimate ??= Filled(aggregate.Length, -0f);
        ResidualArithmetic.AccumulateInto(receiverEstimate, aggregate);
    }

    private protected static float[] Filled(long length, float value)
    {
        var values = new float[length];
        Array.Fill(values, value);
        return values;
    }

    private protected static float[] Decompressed<TMessage>(ICompressor<TMessage> compressor, TMessage message, int length)
        where TMessage : CompressedMessage
    {
        var d = new float[length];
        compressor.Decompress(message, d);
        return d;
    }

    /// <summary>Saves the bound shape and the given state arrays (null = not allocated yet).</summary>
    private protected void SaveArrays(BinaryWriter writer, params float[]?[] arrays)
    {
        StateFormat.WriteShape(writer, ShapeBinding.Shape);
        foreach (float[]? array in arrays)
        {
            writer.Write(array is not null);
            if (array is not null)
            {
                StateFormat.WriteFloats(writer, array);
            }
        }
    }

    /// <summary>Reads what <see cref="SaveArrays"/> wrote, checking the shape and every length; changes nothing.</summary>
    private protected (MatrixShape? Shape, float[]?[] Arrays) ReadArrays(BinaryReader reader, params string[] names)
    {
        MatrixShape? shape = StateFormat.ReadShape(reader, ShapeBinding.Shape);
        var arrays = new float[]?[names.Length];
        for (int a = 0; a < names.Length; a++)
        {
            if (reader.ReadBoolean())
            {
                if (shape is not { } s)
                {
                    throw StateFormat.Invalid($"it holds {names[a]} but no shape.");
                }
                arrays[a] = StateFormat.ReadFloats(reader, s.Length, names[a]);
            }
        }
        return (shape, arrays);
    }
}
