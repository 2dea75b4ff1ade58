namespace Kernels.Perf.Compression.Convergence;

/// <summary>What travels between the ranks each step.</summary>
public enum GradientCompressor
{
    Dense,
    TopK,
    OneBit,
    PowerSgd,
}

/// <summary>How the averaged gradient updates the parameters.</summary>
public enum Optimizer
{
    /// <summary>SGD with a cosine learning-rate decay to 0.</summary>
    Sgd,

    /// <summary>Adam on the densely averaged gradient (1-bit Adam with an endless warm-up).</summary>
    Adam,

    /// <summary>1-bit Adam: Adam for the warm-up, then frozen variance and 1-bit momentum with worker and server error.</summary>
    OneBitAdam,
}

/// <summary>One contender of the convergence experiments.</summary>
/// <param name="Label">Name in tables and charts, e.g. "top-k 1% + EF14".</param>
/// <param name="Compressor">Gradient compression (SGD methods).</param>
/// <param name="Ratio">Top-k: the fraction of elements kept.</param>
/// <param name="Rank">PowerSGD: the rank.</param>
/// <param name="ErrorFeedback">EF14 (with the 1-bit server error) or none.</param>
/// <param name="Optimizer">SGD, Adam or 1-bit Adam.</param>
public sealed record TrainingMethod(string Label, GradientCompressor Compressor, double Ratio = 0, int Rank = 0, bool ErrorFeedback = true,
    Optimizer Optimizer = Optimizer.Sgd)
{
    public static TrainingMethod Dense { get; } = new("dense", GradientCompressor.Dense);

    public static TrainingMethod TopK(double ratio, bool errorFeedback) =>
        new($"top-k {ratio * 100:0.#}%{Suffix(errorFeedback)}", GradientCompressor.TopK, Ratio: ratio, ErrorFeedback: errorFeedback);

    public static TrainingMethod OneBit(bool errorFeedback) => new($"1-bit{Suffix(errorFeedback)}", GradientCompressor.OneBit, ErrorFeedback: errorFeedback);

    public static TrainingMethod PowerSgd(int rank, bool errorFeedback) =>
        new($"PowerSGD r={rank}{Suffix(errorFeedback)}", GradientCompressor.PowerSgd, Rank: rank, ErrorFeedback: errorFeedback);

    public static TrainingMethod Adam { get; } = new("Adam", GradientCompressor.Dense, Optimizer: Optimizer.Adam);

    public static TrainingMethod OneBitAdam { get; } = new("1-bit Adam", GradientCompressor.OneBit, Optimizer: Optimizer.OneBitAdam);

    /// <summary>Dense; top-k 1% and 10%, 1-bit, PowerSGD r = 1, 2, 4, each with and without EF; Adam and 1-bit Adam.</summary>
    public static IReadOnlyList<TrainingMethod> All { get; } =
    [
        Dense,
        .. new[] { true, false }.SelectMany(ef => new[] { TopK(0.01, ef), TopK(0.10, ef), OneBit(ef), PowerSgd(1, ef), PowerSgd(2, ef), PowerSgd(4, ef) }),
        Adam,
        OneBitAdam,
    ];

    public bool IsAdam => Optimizer != Optimizer.Sgd;

    private static string Suffix(bool errorFeedback) => errorFeedback ? " + EF14" : " (no EF)";
}
