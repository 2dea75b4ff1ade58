namespace Kernels.Perf.Compression.Convergence;

/// <summary>
/// How long every method of an experiment trains: the epochs at which dense SGD has converged, found once per setup from dense
/// runs alone and then given to every method alike (same steps, data, seeds and schedule; nothing is tuned per compressor).
/// </summary>
/// <remarks>
/// Epochs double from <see cref="FirstEpochs"/> until dense's final loss after E epochs is within <see cref="DenseTolerance"/> of its
/// loss after 2E (the cosine schedule is stretched to each length), at most <see cref="MaxEpochs"/>. Measured with fixed step counts
/// before this rule: 300 steps (13 digits epochs) left dense softmax regression 1.2% and 600 steps the MLP 20-26% above their losses
/// at 4x the steps, so the compressors were being compared before dense itself had converged.
/// </remarks>
public static class TrainingLength
{
    public const int FirstEpochs = 25, MaxEpochs = 400;

    public const double DenseTolerance = 0.005;

    /// <summary>Optimizer steps for <paramref name="epochs"/> passes over the training rows at the setup's global batch.</summary>
    public static int StepsFor(ConvergenceSetup setup, int epochs) =>
        (int)Math.Ceiling((double)epochs * setup.Train.Count / (setup.Ranks * setup.BatchPerRank));

    /// <summary>The setup with its length in epochs (and 1-bit Adam's warm-up, a fifth of the steps) set.</summary>
    public static ConvergenceSetup WithEpochs(ConvergenceSetup setup, int epochs)
    {
        int steps = StepsFor(setup, epochs);
        return setup with { Steps = steps, AdamWarmUpSteps = steps / 5, Epochs = epochs };
    }

    /// <summary>The setup lengthened to the epochs at which dense has converged (see the remarks).</summary>
    public static ConvergenceSetup ToDenseConvergence(ConvergenceSetup setup)
    {
        int epochs = FirstEpochs;
        double loss = DenseLoss(setup, epochs);
        while (epochs < MaxEpochs)
        {
            double doubled = DenseLoss(setup, 2 * epochs);
            if (Math.Abs(loss - doubled) <= DenseTolerance * doubled) break;
            epochs *= 2;
            loss = doubled;
        }
        return WithEpochs(setup, epochs);
    }

    private static double DenseLoss(ConvergenceSetup setup, int epochs) =>
        DataParallelTraining.Run(WithEpochs(setup, epochs), TrainingMethod.Dense).FinalLoss;
}
