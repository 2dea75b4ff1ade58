using Kernels.Perf.Compression.Convergence;
using Kernels.Perf.Core;

namespace Kernels.Perf.Compression;

/// <summary>
/// The convergence experiments: data-parallel training over 4 in-process ranks with fixed seeds, on the digits set (when
/// `build.sh data` has extracted it) and a synthetic Gaussian mixture, softmax regression and a 64-32-10 MLP, iid and
/// label-sorted shards; every <see cref="TrainingMethod.All"/> contender on each, for the same number of epochs: those at which dense
/// converged (<see cref="TrainingLength"/>). One item per setup; its 15 runs go concurrently
/// (their ranks mostly wait for each other). Figures: final training loss, test accuracy, bytes per step; nothing here is a timing.
/// </summary>
internal static class ConvergenceCases
{
    public const int Ranks = 4;

    public static IEnumerable<BenchmarkItem> Items(BenchmarkContext context)
    {
        bool quick = context.Options.Quick;
        foreach ((string data, IModel model, Sharding sharding) in Setups(quick))
        {
            string slug = $"{data}/{(model is Mlp ? "mlp" : "softmax")}/{(sharding == Sharding.Iid ? "iid" : "label-sorted")}";
            // Full runs: the MLP converges after a few hundred epochs, softmax regression after about a hundred (TrainingLength).
            yield return new BenchmarkItem($"{CompressionFamilies.Group}/convergence/{slug}", quick ? 2 : model is Mlp ? 90 : 30,
                _ => Run(data, model, sharding, quick));
        }
    }

    private static IEnumerable<(string Data, IModel Model, Sharding Sharding)> Setups(bool quick)
    {
        IModel softmax = new SoftmaxRegression(64, 10, penalty: 1e-2f), mlp = new Mlp(64, 32, 10, penalty: 1e-3f);
        foreach (string data in new[] { "digits", "gaussian" })
        {
            foreach (IModel model in new[] { softmax, mlp })
            {
                foreach (Sharding sharding in new[] { Sharding.Iid, Sharding.LabelSorted })
                {
                    // --quick: one small setup per data set, enough to see the table and chart.
                    if (quick && (sharding != Sharding.Iid || (data == "digits") != (model is Mlp))) continue;
                    yield return (data, model, sharding);
                }
            }
        }
    }

    /// <summary>Every method on one setup, all trained for the epochs at which dense converged (--quick: 80 steps).</summary>
    private static IReadOnlyList<Measurement> Run(string data, IModel model, Sharding sharding, bool quick)
    {
        Dataset all = data == "digits"
            ? DigitsDataset.Load(DigitsDataset.Locate() ?? throw new FileNotFoundException(
                $"{DigitsDataset.RelativePath} is missing: run `./build.sh data` (apt-get download python3-sklearn + dpkg -x)."))
            : GaussianMixture.Generate(perClass: 100, features: 64, classes: 10, separation: 0.35f, seed: 7);
        (Dataset train, Dataset test) = all.Split(0.2, seed: 3);
        var fixedLength = new ConvergenceSetup(train, test, model, sharding, Steps: 80, BatchPerRank: 16, SgdLearningRate: 0.5f,
            AdamLearningRate: 0.01f, AdamWarmUpSteps: 16, AdamEpsilon: 1e-3f, Ranks: Ranks);
        ConvergenceSetup setup = quick ? fixedLength : TrainingLength.ToDenseConvergence(fixedLength);
        Task<ConvergenceResult>[] runs = TrainingMethod.All
            .Select(method => Task.Factory.StartNew(() => DataParallelTraining.Run(setup, method), TaskCreationOptions.LongRunning))
            .ToArray();
        Task.WaitAll(runs);
        return runs.Select(run => Measure(setup, run.Result)).ToList();
    }

    private static Measurement Measure(ConvergenceSetup setup, ConvergenceResult r) =>
        new(CompressionFamilies.Group, CompressionFamilies.Convergence, r.Method, "f32", setup.Model.ParameterCount * (long)sizeof(float), r.Setup,
            setup.Ranks, r.Seconds, (long)Math.Round(r.BytesPerStep), r.FinalLoss, "loss", null, setup.Steps, ConvergenceNote.Write(r, setup.Epochs));
}
