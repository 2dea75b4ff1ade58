using Kernels.Perf.Compression.Convergence;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

/// <summary>
/// The benchmark suite's convergence experiment on one setup, with its protocol: softmax regression (L2 1e-2, so the optimum is
/// unique) on the synthetic Gaussian mixture, 4 in-process ranks, iid shards, fixed seeds, every method trained for the epochs at which
/// dense converged (<see cref="TrainingLength"/>). A run is deterministic, so these are exact regression checks, not flaky statistics.
/// Nothing is timed; the 11 runs go concurrently (their ranks mostly wait for each other).
/// </summary>
/// <remarks>
/// Measured at that length (the suite's table for this setup): with EF14 every compressor within 0.1% of dense; without error
/// feedback top-k 1% +36% and 1-bit +17%; 1-bit Adam 0.02% below Adam with 23x fewer bytes after its warm-up (100 epochs; both with the cosine rate decay
/// SGD has; with a constant Adam rate it was 1.1% below, a gap that was noise of the final point, see DataParallelTraining).
/// </remarks>
[TestFixture, NonParallelizable]
public class ConvergenceParityTests
{
    private const double EfTolerance = 0.01;
    private const double NoEfPenalty = 0.10;

    private static readonly TrainingMethod[] Methods =
    [
        TrainingMethod.Dense,
        TrainingMethod.TopK(0.01, true), TrainingMethod.TopK(0.10, true), TrainingMethod.OneBit(true),
        TrainingMethod.PowerSgd(1, true), TrainingMethod.PowerSgd(2, true), TrainingMethod.PowerSgd(4, true),
        TrainingMethod.TopK(0.01, false), TrainingMethod.OneBit(false),
        TrainingMethod.Adam, TrainingMethod.OneBitAdam,
    ];

    private Dictionary<string, ConvergenceResult> _results = [];

    [OneTimeSetUp]
    public void RunEveryMethod()
    {
        Dataset all = GaussianMixture.Generate(perClass: 100, features: 64, classes: 10, separation: 0.35f, seed: 7);
        (Dataset train, Dataset test) = all.Split(0.2, seed: 3);
        var fixedLength = new ConvergenceSetup(train, test, new SoftmaxRegression(64, 10, penalty: 1e-2f), Sharding.Iid, Steps: 80, BatchPerRank: 16,
            SgdLearningRate: 0.5f, AdamLearningRate: 0.01f, AdamWarmUpSteps: 16, AdamEpsilon: 1e-3f);
        ConvergenceSetup setup = TrainingLength.ToDenseConvergence(fixedLength);
        TestContext.Progress.WriteLine($"{setup.Epochs} epochs = {setup.Steps} steps");
        Task<ConvergenceResult>[] runs = Methods
            .Select(method => Task.Factory.StartNew(() => DataParallelTraining.Run(setup, method), TaskCreationOptions.LongRunning))
            .ToArray();
        Task.WaitAll(runs);
        _results = runs.Select(run => run.Result).ToDictionary(result => result.Method);
        foreach (ConvergenceResult r in _results.Values)
        {
            TestContext.Progress.WriteLine($"{r.Method,-24} loss {r.FinalLoss:0.0000}  accuracy {r.TestAccuracy:P1}  bytes/step {r.BytesPerStep:0} " +
                $"(after warm-up {r.BytesPerStepCompressed:0}, dense {r.DenseBytesPerStep:0})");
        }
    }

    private double Loss(TrainingMethod method) => _results[method.Label].FinalLoss;

    [Test]
    public void With_ef14_every_compressor_ends_near_the_dense_loss()
    {
        double dense = Loss(TrainingMethod.Dense);
        Assert.Multiple(() =>
        {
            foreach (TrainingMethod method in Methods.Where(m => m.ErrorFeedback && !m.IsAdam && m.Compressor != GradientCompressor.Dense))
            {
                Assert.That(Loss(method), Is.LessThanOrEqualTo(dense * (1 + EfTolerance)), method.Label);
            }
        });
    }

    [TestCase(0.01, false), TestCase(0, true)]
    public void Without_error_feedback_top_k_1_percent_and_one_bit_are_measurably_worse(double ratio, bool oneBit)
    {
        TrainingMethod withEf = oneBit ? TrainingMethod.OneBit(true) : TrainingMethod.TopK(ratio, true);
        TrainingMethod withoutEf = oneBit ? TrainingMethod.OneBit(false) : TrainingMethod.TopK(ratio, false);
        Assert.That(Loss(withoutEf), Is.GreaterThan(Loss(TrainingMethod.Dense) * (1 + NoEfPenalty)), "vs dense");
        Assert.That(Loss(withoutEf), Is.GreaterThan(Loss(withEf) * (1 + NoEfPenalty)), "vs the same compressor with EF14");
    }

    [Test]
    public void One_bit_adam_matches_adam_with_at_least_5x_fewer_bytes_after_warm_up()
    {
        ConvergenceResult adam = _results[TrainingMethod.Adam.Label], oneBit = _results[TrainingMethod.OneBitAdam.Label];
        Assert.That(oneBit.FinalLoss, Is.LessThanOrEqualTo(adam.FinalLoss * (1 + EfTolerance)));
        Assert.That(oneBit.BytesPerStepCompressed * 5, Is.LessThanOrEqualTo(adam.BytesPerStepCompressed));
    }

    [Test]
    public void Every_compressor_sends_fewer_bytes_than_dense()
    {
        double dense = _results[TrainingMethod.Dense.Label].BytesPerStep;
        Assert.Multiple(() =>
        {
            foreach (ConvergenceResult result in _results.Values.Where(r => r.Method != TrainingMethod.Dense.Label && r.Method != TrainingMethod.Adam.Label))
            {
                Assert.That(result.BytesPerStep, Is.LessThan(dense), result.Method);
            }
        });
    }
}
