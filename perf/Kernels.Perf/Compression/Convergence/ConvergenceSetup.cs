namespace Kernels.Perf.Compression.Convergence;

/// <summary>One experiment's fixed part: data, model, sharding and schedule; every method runs on it from the same seed.</summary>
/// <param name="Train">Training rows (dealt to the ranks); the reported loss is the full objective on them.</param>
/// <param name="Test">Held-out rows for the accuracy.</param>
/// <param name="Model">The classifier.</param>
/// <param name="Sharding">iid or label-sorted.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="BatchPerRank">Rows each rank samples per step (with replacement, from its shard).</param>
/// <param name="SgdLearningRate">SGD's initial step size (cosine decay to 0).</param>
/// <param name="AdamLearningRate">Adam's and 1-bit Adam's initial step size (cosine decay to 0, as SGD's).</param>
/// <param name="AdamWarmUpSteps">1-bit Adam's Adam steps before compression starts.</param>
/// <param name="AdamEpsilon">Adam's and 1-bit Adam's eps.</param>
/// <param name="Ranks">Data-parallel ranks (threads of one in-process job).</param>
/// <param name="Seed">Seed of the initial parameters and the batches.</param>
/// <param name="CurvePoints">Loss evaluations along the run, for the curves.</param>
/// <param name="Epochs">Passes over the training rows <paramref name="Steps"/> make (<see cref="TrainingLength"/>), 0 when the steps were set directly.</param>
public sealed record ConvergenceSetup(Dataset Train, Dataset Test, IModel Model, Sharding Sharding, int Steps, int BatchPerRank,
    float SgdLearningRate, float AdamLearningRate, int AdamWarmUpSteps, float AdamEpsilon = 1e-8f, int Ranks = 4, ulong Seed = 1, int CurvePoints = 25,
    int Epochs = 0)
{
    public string Name => $"{Train.Name.Split('/')[0]} / {Model.Name} / {(Sharding == Sharding.Iid ? "iid" : "label-sorted")}";
}
