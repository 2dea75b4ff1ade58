using Kernels.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Time vs density of the dense-result sparse all-gather at 2 ranks (threads, in-process transport), f32 over a
/// 1 Mi-element index space, with the path forced each way (<see cref="CommunicatorOptions.SparseDenseThreshold"/> 0
/// and infinity): the sparse path (gather every rank's indices and values, sum into the dense vector) against the
/// dense path (sum own entries into a dense vector, dense all-reduce). Where they cross is the threshold the
/// communicator switches at (<see cref="SparseDensity.DefaultThreshold"/>).
/// </summary>
internal static class SparseCrossover
{
    public const string Family = "sparse_allgather_dense";
    public const string SparsePath = "sparse path (all-gather of entries)";
    public const string DensePath = "dense path (densify + all-reduce)";
    public const int IndexSpace = 1 << 20;

    /// <summary>Mean fraction of the index space each rank sets.</summary>
    public static IReadOnlyList<double> Densities(bool quick) =>
        quick ? [0.01, 0.1, 0.5] : [0.001, 0.003, 0.01, 0.03, 0.05, 0.07, 0.1, 0.2, 0.3, 0.5, 1.0];

    public static string ShapeOf(double density) => $"density {density:0.###}";

    public static IReadOnlyList<Measurement> Measure(bool quick, double seconds)
    {
        var results = new List<Measurement>();
        Communicator[][] jobs = [Job(double.PositiveInfinity), Job(0)];
        try
        {
            foreach (double density in Densities(quick))
            {
                // Both paths' jobs run their ranks on the same two threads, so their calls can alternate.
                (double, long)[] timed = ThreadJob.Run(Enumerable.Range(0, SweepPlan.Ranks).Select(rank => jobs[0][rank]).ToArray(),
                    "sparse crossover", sparse => Time(sparse, jobs[1][sparse.Rank], density, seconds));
                foreach (((double perCall, long calls), string implementation) in timed.Zip(new[] { SparsePath, DensePath }))
                {
                    results.Add(new Measurement(CollectiveNames.Group, Family, implementation, "f32", IndexSpace * 4L, ShapeOf(density),
                        SweepPlan.Ranks, perCall, 0, perCall * 1e6, "µs", null, calls));
                }
            }
        }
        finally
        {
            foreach (Communicator rank in jobs.SelectMany(job => job))
            {
                rank.Dispose();
            }
        }
        return results;
    }

    private static Communicator[] Job(double threshold) => Communicator.CreateInProcess(SweepPlan.Ranks, new CommunicatorOptions
    {
        SparseDenseThreshold = threshold, Timeout = TimeSpan.FromSeconds(60),
    });

    /// <summary>One rank of both jobs: distinct random indices (sorted, as a top-k selection gives them) at the given density.</summary>
    private static (double, long)[] Time(Communicator sparse, Communicator dense, double density, double seconds)
    {
        var random = new Random(1 + sparse.Rank);
        int count = (int)Math.Min(IndexSpace, Math.Round(density * IndexSpace));
        int[] shuffled = Enumerable.Range(0, IndexSpace).ToArray();
        random.Shuffle(shuffled);
        int[] indices = shuffled[..count];
        Array.Sort(indices);
        float[] values = indices.Select(i => (float)(i % 7 + 1)).ToArray();
        var result = new float[IndexSpace];
        return AlternatingTimer.Time(
            [() => sparse.SparseAllGather<float>(indices, values, result), () => dense.SparseAllGather<float>(indices, values, result)],
            seconds, value => ThreadJob.MaxOverRanks(sparse, value));
    }
}
