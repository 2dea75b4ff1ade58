using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// 1-bit Adam (Tang et al. 2021), data-parallel over a <see cref="Communicator"/>: plain Adam on the averaged gradient for the
/// warm-up steps; then the variance is frozen and each step all-reduces the momentum through 1-bit compression with worker and server
/// error (<see cref="CompressedAllReduce"/>'s two-phase protocol, RMS scales). Every rank holds the same parameters, moments and
/// step, so it updates them identically.
/// </summary>
/// <remarks>
/// <para>Warm-up step t (from 1): <c>g = avg(g_r)</c> (dense all-reduce), <c>m = b1 m + (1 - b1) g</c>, <c>v = b2 v + (1 - b2) g^2</c>,
/// <c>x -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)</c>. After it: <c>m = avg1bit(b1 m + (1 - b1) g_r)</c> and the same
/// update with <c>v</c> and its correction frozen at the last warm-up step.</para>
/// <para>Elements whose variance is exactly 0 when it freezes (their gradient was 0 through the whole warm-up: padding, inputs that
/// are always 0) keep a zero momentum and are not updated afterwards, as DeepSpeed's <c>exp_avg_mask</c> does by hand: 1-bit
/// compression gives every element +-scale, and that noise divided by <c>eps</c> alone would throw them far off.</para>
/// <para>A failed collective leaves parameters, moments, step and error memory as they were. State saves and restores bit-exactly.</para>
/// </remarks>
public sealed class OneBitAdam
{
    private readonly Communicator _communicator;
    private readonly OneBitAdamOptions _options;
    private readonly CompressedAllReduce _momentumAllReduce;
    private readonly int _length;
    private float[] _momentum;
    private float[] _variance;
    private long _step;
    private float _learningRate;

    /// <param name="communicator">The data-parallel ranks.</param>
    /// <param name="parameterCount">Parameters the optimizer updates; at least 1.</param>
    /// <param name="options">Settings; the defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting or <paramref name="parameterCount"/> is out of range.</exception>
    public OneBitAdam(Communicator communicator, int parameterCount, OneBitAdamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        _options = options ?? new OneBitAdamOptions();
        _options.Validate();
        _communicator = communicator;
        _length = parameterCount;
        _momentum = new float[parameterCount];
        _variance = new float[parameterCount];
        _momentumAllReduce = new CompressedAllReduce(communicator, new OneBit(_options.ChunkSize, OneBitScale.Rms), ErrorFeedback.Ef14());
        _learningRate = _options.LearningRate;
    }

    /// <summary>The step size of the next steps; <see cref="OneBitAdamOptions.LearningRate"/> at first. Set it before a step to follow a
    /// schedule (every rank the same value). It is not part of the saved state: a schedule sets it from the step.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0 && float.IsFinite(value))) throw new ArgumentOutOfRangeException(nameof(value), value, "LearningRate must be non-negative and finite.");
            _learningRate = value;
        }
    }

    /// <summary>Steps taken.</summary>
    public long Steps => _step;

    /// <summary>True once the warm-up is over: the variance is frozen and the momentum travels 1-bit compressed.</summary>
    public bool IsCompressing => _step >= _options.WarmUpSteps;

    /// <summary>One optimizer step with this rank's <paramref name="gradient"/>; updates <paramref name="parameters"/> in place.</summary>
    /// <param name="parameters">The model's parameters, the same on every rank.</param>
    /// <param name="gradient">This rank's gradient; not overlapping <paramref name="parameters"/>.</param>
    /// <param name="cancellationToken">Cancels the step (see <see cref="CompressedAllReduce"/>); nothing changes then.</param>
    /// <returns>The bytes this rank sent (dense during warm-up) and the dense equivalent.</returns>
    /// <exception cref="ArgumentException">A span does not have the parameter count.</exception>
    /// <exception cref="CollectiveException">A collective failed; nothing changed.</exception>
    public CompressionReport Step(Span<float> parameters, ReadOnlySpan<float> gradient, CancellationToken cancellationToken = default)
    {
        CheckLengths(parameters, gradient);
        float b1 = _options.Beta1, b2 = _options.Beta2;
        CompressionReport report;
        float[] momentum = new float[_length];
        float[] variance = _variance;
        if (!IsCompressing)
        {
            float[] average = gradient.ToArray();
            _communicator.AllReduce<float>(average, ReduceOp.Avg, cancellationToken);
            report = new CompressionReport(TrafficModel.Dense(_length, _communicator.Size), TrafficModel.Dense(_length, _communicator.Size));
            variance = new float[_length];
            for (int i = 0; i < _length; i++)
            {
                momentum[i] = b1 * _momentum[i] + (1 - b1) * average[i];
                variance[i] = b2 * _variance[i] + (1 - b2) * average[i] * average[i];
            }
        }
        else
        {
            for (int i = 0; i < _length; i++) momentum[i] = b1 * _momentum[i] + (1 - b1) * gradient[i];
            report = _momentumAllReduce.Run(momentum, cancellationToken);
        }
        // Nothing below can fail: the step is committed.
        long t = _step + 1;
        long varianceStep = Math.Min(t, _options.WarmUpSteps);
        float momentumCorrection = (float)(1 - Math.Pow(b1, t));
        float varianceCorrection = (float)(1 - Math.Pow(b2, varianceStep));
        float lr = _learningRate, eps = _options.Epsilon;
        bool masking = t > _options.WarmUpSteps;
        for (int i = 0; i < _length; i++)
        {
            if (masking && variance[i] == 0f)
            {
                momentum[i] = 0f;
                continue;
            }
            parameters[i] -= lr * (momentum[i] / momentumCorrection) / (MathF.Sqrt(variance[i] / varianceCorrection) + eps);
        }
        _momentum = momentum;
        _variance = variance;
        _step = t;
        return report;
    }

    /// <summary>Runs <see cref="Step"/> on a thread of its own; arguments are checked before this returns. Issue no other
    /// collective on the communicator until it completes.</summary>
    public ValueTask<CompressionReport> StepAsync(Memory<float> parameters, ReadOnlyMemory<float> gradient, CancellationToken cancellationToken = default)
    {
        CheckLengths(parameters.Span, gradient.Span);
        return new ValueTask<CompressionReport>(Task.Factory.StartNew(() => Step(parameters.Span, gradient.Span, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>Writes the step, moments and 1-bit error memory, with the settings, world size and rank.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public void SaveState(Stream state) => StateStream.Save(state, writer =>
    {
        StateFormat.WriteHeader(writer);
        StateFormat.WriteKind(writer, _options.Kind);
        writer.Write(_communicator.Size);
        writer.Write(_communicator.Rank);
        writer.Write(_step);
        StateFormat.WriteFloats(writer, _momentum);
        StateFormat.WriteFloats(writer, _variance);
        _momentumAllReduce.WriteState(writer);
    });

    /// <summary>Replaces the state with one saved by an identically configured instance on the same rank of a job of the same size.</summary>
    /// <exception cref="ArgumentException">(names <c>state</c>) Not compression state, another version, settings, parameter count,
    /// world size or rank, or truncated; nothing changes then.</exception>
    public void RestoreState(Stream state) => StateStream.Restore(state, reader =>
    {
        StateFormat.ReadHeader(reader);
        StateFormat.ReadKind(reader, _options.Kind);
        StateFormat.ReadPlacement(reader, _communicator.Size, _communicator.Rank);
        long step = reader.ReadInt64();
        if (step < 0) throw StateFormat.Invalid($"its step counter is negative ({step}).");
        float[] momentum = StateFormat.ReadFloats(reader, _length, "momentum");
        float[] variance = StateFormat.ReadFloats(reader, _length, "variance");
        Action installErrors = _momentumAllReduce.ReadState(reader);
        return () =>
        {
            installErrors();
            _step = step;
            _momentum = momentum;
            _variance = variance;
        };
    });

    private void CheckLengths(ReadOnlySpan<float> parameters, ReadOnlySpan<float> gradient)
    {
        if (parameters.Length != _length)
        {
            throw new ArgumentException($"parameters has {parameters.Length} elements; this optimizer was made for {_length}.", nameof(parameters));
        }
        if (gradient.Length != _length)
        {
            throw new ArgumentException($"gradient has {gradient.Length} elements; this optimizer was made for {_length}.", nameof(gradient));
        }
        if (parameters.Overlaps(gradient))
        {
            throw new ArgumentException("gradient overlaps parameters.", nameof(gradient));
        }
    }
}
