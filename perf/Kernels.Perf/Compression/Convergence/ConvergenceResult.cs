namespace Kernels.Perf.Compression.Convergence;

/// <summary>The outcome of one method on one setup.</summary>
/// <param name="Setup">Data / model / sharding.</param>
/// <param name="Method">The contender's label.</param>
/// <param name="FinalLoss">The training objective (mean cross-entropy + L2) on all training rows after the last step.</param>
/// <param name="TestAccuracy">Fraction of held-out rows classified correctly after the last step.</param>
/// <param name="BytesPerStep">Bytes one rank sent per step, averaged over the run.</param>
/// <param name="BytesPerStepCompressed">The same over the steps after 1-bit Adam's warm-up (all steps for other methods).</param>
/// <param name="DenseBytesPerStep">What a dense ring all-reduce of the gradient sends per step and rank.</param>
/// <param name="CurveSteps">Steps at which the loss was evaluated.</param>
/// <param name="CurveLosses">The training objective at those steps.</param>
/// <param name="Seconds">Wall time of the run (reported, never asserted).</param>
public sealed record ConvergenceResult(string Setup, string Method, double FinalLoss, double TestAccuracy, double BytesPerStep,
    double BytesPerStepCompressed, double DenseBytesPerStep, int[] CurveSteps, double[] CurveLosses, double Seconds);
