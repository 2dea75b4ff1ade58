using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// All-reduce (average) of one gradient tensor through a compressor with error feedback, over a <see cref="Communicator"/>:
/// every rank calls <see cref="Run(ReadOnlySpan{float}, Span{float}, MatrixShape, CancellationToken)"/> with its gradient and gets
/// the same estimate of the ranks' average gradient. One instance per tensor and rank.
/// </summary>
/// <remarks>
/// <para><b>Protocols.</b> <see cref="TopK"/>: the sparse all-gather, or (<see cref="SparseExchange"/>) the sparse reduce-scatter and
/// an all-gather of the dense shards; either way each index's values are summed in fp32 in rank order, times 1/n, with the same bits. <see cref="OneBit"/>: the two-phase protocol of 1-bit Adam — compress with the worker error, an all-to-all (synchronous
/// Send/Recv rounds) gives rank r every rank's part r (parts aligned to whole sign words and scale chunks), rank r averages it
/// (fp32, rank order, times 1/n) and compresses the average with its server error, an all-gather gives everyone every part.
/// <see cref="PowerSgd"/>: <c>P = M Q</c>, all-reduce (sum) of P, orthonormalisation, <c>Q = M^T P</c>, all-reduce (average) of Q;
/// steps PowerSGD sends dense are a dense all-reduce (average).</para>
/// <para><b>Error feedback</b> composes as in <see cref="ErrorFeedbackCompressor{TMessage}"/>: the worker side wraps the compressor,
/// and the receiver side (<see cref="ErrorFeedbackCompressor{TMessage}.Reconstruct"/>) turns the exchanged average into the
/// estimate, so EF21 and EControl return their running estimates. The 1-bit server error is a second layer (EF14 by default).</para>
/// <para><b>Bytes</b> (<see cref="CompressionReport"/>) count payload on the links: an all-gather sends this rank's block to n - 1
/// ranks, an all-reduce 2 (n - 1) / n of its buffer (ring), the all-to-all (and the sparse reduce-scatter) each block once to its
/// destination; the dense baseline is a ring all-reduce of the fp32 gradient.</para>
/// <para><b>Failures.</b> Arguments are checked before anything is sent. The state (residuals, estimates, server errors, warm-start
/// Q, step counters) is snapshotted before each step; when a collective fails (peer lost, timeout, cancellation, mismatch) it is put
/// back exactly, so no gradient mass is lost, and the exception propagates (the communicator is then usually faulted: see
/// <see cref="Communicator"/>). The <c>average</c> output is written only at the end of a successful step.</para>
/// <para><b>Determinism.</b> For a fixed world size, every rank gets the same bits, and a rerun (or a restored run) the same
/// trajectory. Every rank must make the same calls with the same settings, as for any collective.</para>
/// </remarks>
public sealed class CompressedAllReduce
{
    private readonly Communicator _communicator;
    private readonly IAllReduceProtocol _protocol;
    private readonly MemoryStream _snapshot = new();

    /// <summary>Top-k through the sparse all-gather, or the sparse reduce-scatter and an all-gather of the dense shards.</summary>
    /// <param name="communicator">The ranks to average over.</param>
    /// <param name="compressor">Top-k (exact or sampled); owned by this instance from now on.</param>
    /// <param name="feedback">A fresh error-feedback layer (<see cref="ErrorFeedback.Ef14"/>, ..., <see cref="ErrorFeedback.None"/>).</param>
    /// <param name="exchange">Which exchange; <see cref="SparseExchange.Auto"/> takes the one that sends fewer bytes at this world size
    /// and k / length: the reduce-scatter when k / length &gt; 1 / (2 (n - 1)), roughly. Must be the same on every rank.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exchange"/> is not a <see cref="SparseExchange"/> value.</exception>
    public CompressedAllReduce(Communicator communicator, TopK compressor, ErrorFeedback feedback, SparseExchange exchange = SparseExchange.Auto)
        : this(communicator, new TopKAllReduceProtocol(Checked(compressor), Checked(feedback), Defined(exchange)))
    {
    }

    /// <summary>1-bit through the two-phase protocol with worker and server error.</summary>
    /// <param name="communicator">The ranks to average over.</param>
    /// <param name="compressor">The 1-bit compressor (chunk size and scale are used by the server too).</param>
    /// <param name="feedback">The worker's error-feedback layer.</param>
    /// <param name="serverFeedback">The server's layer for the part this rank averages; by default EF14, or none when
    /// <paramref name="feedback"/> is <see cref="ErrorFeedback.None"/>.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    public CompressedAllReduce(Communicator communicator, OneBit compressor, ErrorFeedback feedback, ErrorFeedback? serverFeedback = null)
        : this(communicator, new OneBitTwoPhaseProtocol(Checked(compressor), Checked(feedback),
            serverFeedback ?? (feedback is NoFeedback ? ErrorFeedback.None() : ErrorFeedback.Ef14())))
    {
    }

    /// <summary>PowerSGD through all-reduces of P and Q.</summary>
    /// <param name="communicator">The ranks to average over.</param>
    /// <param name="compressor">PowerSGD (rank, warm-up, seed, batching); every rank must use the same seed.</param>
    /// <param name="feedback">A fresh error-feedback layer (DGC momentum needs top-k and throws <see cref="ArgumentException"/>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public CompressedAllReduce(Communicator communicator, PowerSgd compressor, ErrorFeedback feedback)
        : this(communicator, new PowerSgdAllReduceProtocol(Checked(compressor), Checked(feedback)))
    {
    }

    private CompressedAllReduce(Communicator communicator, IAllReduceProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        _communicator = communicator;
        _protocol = protocol;
    }

    /// <summary>
    /// When true, every step first agrees across the ranks whether any gradient holds NaN or an infinity (an all-gather of one int
    /// per rank, counted in the report) and, if one does, throws <see cref="NonFiniteGradientException"/> on every rank with no
    /// state changed. When false (the default) non-finite values propagate as each compressor documents. Must be the same on every rank.
    /// </summary>
    public bool RejectNonFinite { get; init; }

    /// <summary>In-place step on a vector: <paramref name="gradient"/> becomes the average estimate.</summary>
    /// <inheritdoc cref="Run(ReadOnlySpan{float}, Span{float}, MatrixShape, CancellationToken)"/>
    public CompressionReport Run(Span<float> gradient, CancellationToken cancellationToken = default) =>
        Run(gradient, gradient, MatrixShape.Vector(gradient.Length), cancellationToken);

    /// <summary>One step: compresses this rank's <paramref name="gradient"/>, exchanges, and writes the estimate of the ranks' average.</summary>
    /// <param name="gradient">This rank's gradient.</param>
    /// <param name="average">The result, the same on every rank; the same length as <paramref name="gradient"/>, and either exactly
    /// the same memory or not overlapping it.</param>
    /// <param name="shape">The gradient's shape (PowerSGD factors it; the others use its length); the same on every step.</param>
    /// <param name="cancellationToken">Cancels the step; after data has been exchanged this faults the communicator. State is rolled back.</param>
    /// <returns>The bytes this rank sent and the dense equivalent.</returns>
    /// <exception cref="ArgumentException">Lengths or shape do not fit, the shape changed, k or rank is too large for it, or the spans
    /// overlap partially; nothing was sent or changed.</exception>
    /// <exception cref="NonFiniteGradientException">With <see cref="RejectNonFinite"/>: a rank's gradient held NaN or an infinity.</exception>
    /// <exception cref="CollectiveException">A collective failed (timeout, lost peer, mismatch, faulted communicator); the state is as before the call.</exception>
    /// <exception cref="OperationCanceledException">Canceled; the state is as before the call.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public CompressionReport Run(ReadOnlySpan<float> gradient, Span<float> average, MatrixShape shape, CancellationToken cancellationToken = default)
    {
        CheckArguments(gradient, average, shape);
        CompressionReport check = RejectNonFinite ? AgreeAllFinite(gradient, cancellationToken) : default;
        _snapshot.SetLength(0);
        using (var writer = new BinaryWriter(_snapshot, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            _protocol.SaveState(writer);
        }
        try
        {
            return check + _protocol.Run(_communicator, gradient, average, shape, cancellationToken);
        }
        catch
        {
            _snapshot.Position = 0;
            using var reader = new RollbackReader(_snapshot);
            _protocol.ReadState(reader)();
            throw;
        }
    }

    /// <summary>
    /// Runs the step on a thread of its own (ranks block while waiting for each other); see
    /// <see cref="Run(ReadOnlySpan{float}, Span{float}, MatrixShape, CancellationToken)"/>. Arguments are checked before this returns;
    /// a token canceled before the step starts skips it (nothing sent, nothing changed). Issue no other collective on the
    /// communicator until the task completes.
    /// </summary>
    public ValueTask<CompressionReport> RunAsync(ReadOnlyMemory<float> gradient, Memory<float> average, MatrixShape shape,
        CancellationToken cancellationToken = default)
    {
        CheckArguments(gradient.Span, average.Span, shape);
        return new ValueTask<CompressionReport>(Task.Factory.StartNew(() => Run(gradient.Span, average.Span, shape, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>In-place asynchronous step on a vector; see <see cref="RunAsync(ReadOnlyMemory{float}, Memory{float}, MatrixShape, CancellationToken)"/>.</summary>
    public ValueTask<CompressionReport> RunAsync(Memory<float> gradient, CancellationToken cancellationToken = default) =>
        RunAsync(gradient, gradient, MatrixShape.Vector(gradient.Length), cancellationToken);

    /// <summary>Writes this rank's state (worker and server error-feedback memory, compressor state), with the world size and rank.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public void SaveState(Stream state) => StateStream.Save(state, WriteState);

    /// <summary>Replaces the state with one saved by an identically configured instance on the same rank of a job of the same size.</summary>
    /// <exception cref="ArgumentException">(names <c>state</c>) Not compression state, another format version, protocol, compressor,
    /// error feedback, shape, world size or rank, or truncated; nothing changes then.</exception>
    public void RestoreState(Stream state) => StateStream.Restore(state, ReadState);

    internal void WriteState(BinaryWriter writer)
    {
        StateFormat.WriteHeader(writer);
        StateFormat.WriteKind(writer, _protocol.Kind);
        writer.Write(_communicator.Size);
        writer.Write(_communicator.Rank);
        _protocol.SaveState(writer);
    }

    internal Action ReadState(BinaryReader reader)
    {
        StateFormat.ReadHeader(reader);
        StateFormat.ReadKind(reader, _protocol.Kind);
        StateFormat.ReadPlacement(reader, _communicator.Size, _communicator.Rank);
        return _protocol.ReadState(reader);
    }

    private void CheckArguments(ReadOnlySpan<float> gradient, ReadOnlySpan<float> average, MatrixShape shape)
    {
        ObjectDisposedException.ThrowIf(_communicator.IsDisposed, _communicator);
        if (average.Length != gradient.Length)
        {
            throw new ArgumentException($"average has {average.Length} elements but the gradient has {gradient.Length}.", nameof(average));
        }
        if (gradient.Overlaps(average, out int offset) && offset != 0)
        {
            throw new ArgumentException("average overlaps the gradient partially; pass the same memory (in place) or a separate buffer.", nameof(average));
        }
        _protocol.CheckStep(gradient, shape);
    }

    /// <summary>All ranks learn which ranks hold a non-finite gradient element; throws on all of them alike if any does.</summary>
    private CompressionReport AgreeAllFinite(ReadOnlySpan<float> gradient, CancellationToken cancellationToken)
    {
        int firstBad = -1;
        for (int i = 0; i < gradient.Length; i++)
        {
            if (!float.IsFinite(gradient[i]))
            {
                firstBad = i;
                break;
            }
        }
        var flags = new int[_communicator.Size];
        _communicator.AllGather<int>([firstBad >= 0 ? 1 : 0], flags, cancellationToken);
        int[] bad = Enumerable.Range(0, flags.Length).Where(r => flags[r] != 0).ToArray();
        if (bad.Length > 0)
        {
            throw new NonFiniteGradientException(bad, firstBad);
        }
        return new CompressionReport(TrafficModel.AllGather(sizeof(int), _communicator.Size), 0);
    }

    private static SparseExchange Defined(SparseExchange exchange)
    {
        if (!Enum.IsDefined(exchange))
        {
            throw new ArgumentOutOfRangeException(nameof(exchange), exchange, "exchange must be Auto, AllGather or ReduceScatter.");
        }
        return exchange;
    }

    private static T Checked<T>(T argument, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(argument))] string? name = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(argument, name);
        return argument;
    }
}
