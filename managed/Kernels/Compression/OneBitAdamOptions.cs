namespace Kernels.Compression;

/// <summary>Settings of <see cref="OneBitAdam"/>; every rank must use the same.</summary>
public sealed record OneBitAdamOptions
{
    /// <summary>Step size at first (<see cref="OneBitAdam.LearningRate"/> follows a schedule); positive and finite.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Momentum decay beta1, in [0, 1).</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Variance decay beta2, in [0, 1).</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Added to sqrt(v); positive.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Steps of plain Adam (dense all-reduce of the gradient) before the variance freezes and compression starts; at least 1.
    /// <see cref="int.MaxValue"/> gives plain distributed Adam.</summary>
    public int WarmUpSteps { get; init; } = 100;

    /// <summary>Elements per 1-bit scale (the scale is the chunk's RMS, as in the paper).</summary>
    public int ChunkSize { get; init; } = 2048;

    internal void Validate()
    {
        if (!(LearningRate > 0 && float.IsFinite(LearningRate))) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be positive and finite.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "must be in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "must be in [0, 1).");
        if (!(Epsilon > 0 && float.IsFinite(Epsilon))) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "must be positive and finite.");
        ArgumentOutOfRangeException.ThrowIfLessThan(WarmUpSteps, 1, nameof(WarmUpSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunkSize, 1, nameof(ChunkSize));
    }

    /// <summary>Settings, for saved state.</summary>
    internal string Kind => $"OneBitAdam(lr={LearningRate:R}, b1={Beta1:R}, b2={Beta2:R}, eps={Epsilon:R}, warmUp={WarmUpSteps}, chunk={ChunkSize})";
}
