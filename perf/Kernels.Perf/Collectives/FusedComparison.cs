using Kernels.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <see cref="Communicator.AllReduceAddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, float, CancellationToken)"/>
/// against the unfused pair it replaces — <see cref="Communicator.AllReduce{T}(ReadOnlySpan{T}, Span{T}, ReduceOp, CancellationToken)"/>
/// then <see cref="RmsNorm.AddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, float)"/> — for
/// 1..4096 tokens x hidden 4096, f32, 2 ranks (threads, in-process transport), timed in alternation (<see cref="AlternatingTimer"/>).
/// </summary>
internal static class FusedComparison
{
    public const string Family = "allreduce_add_rmsnorm";
    public const string Fused = "fused AllReduceAddRmsNorm";
    public const string Unfused = "AllReduce + AddRmsNorm";
    public const int Hidden = 4096;
    private const float Eps = 1e-6f;

    public static IReadOnlyList<int> Tokens(bool quick) => quick ? [1, 64, 1024] : [1, 4, 16, 64, 256, 1024, 4096];

    public static string ShapeOf(int tokens) => $"{tokens} tokens x {Hidden}";

    public static IReadOnlyList<Measurement> Measure(bool quick, double seconds)
    {
        var results = new List<Measurement>();
        Communicator[] ranks = Communicator.CreateInProcess(SweepPlan.Ranks, new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(60) });
        try
        {
            foreach (int tokens in Tokens(quick))
            {
                (double, long)[] timed = ThreadJob.Run(ranks, "fused comparison", communicator => Time(communicator, tokens, seconds));
                foreach (((double perCall, long calls), string implementation) in timed.Zip(new[] { Fused, Unfused }))
                {
                    results.Add(new Measurement(CollectiveNames.Group, Family, implementation, "f32", (long)tokens * Hidden * 4,
                        ShapeOf(tokens), SweepPlan.Ranks, perCall, 0, perCall * 1e6, "µs", null, calls));
                }
            }
        }
        finally
        {
            foreach (Communicator rank in ranks)
            {
                rank.Dispose();
            }
        }
        return results;
    }

    /// <summary>One rank: both contenders on the same data, timed in alternation.</summary>
    private static (double, long)[] Time(Communicator communicator, int tokens, double seconds)
    {
        int length = tokens * Hidden;
        float[] x = Enumerable.Range(0, length).Select(i => (float)((i + communicator.Rank) % 17 - 8) / 8).ToArray();
        float[] residual = Enumerable.Range(0, length).Select(i => (float)(i % 5) / 4).ToArray();
        float[] weight = Enumerable.Range(0, Hidden).Select(i => 1 + (float)(i % 3) / 8).ToArray();
        float[] sum = new float[length];
        float[] y = new float[length];
        Action fused = () => communicator.AllReduceAddRmsNorm<float>(x, residual, weight, y, Hidden, Eps);
        Action unfused = () =>
        {
            communicator.AllReduce<float>(x, sum, ReduceOp.Sum);
            RmsNorm.AddRmsNorm<float>(sum, residual, weight, y, Hidden, Eps);
        };
        return AlternatingTimer.Time([fused, unfused], seconds, value => ThreadJob.MaxOverRanks(communicator, value));
    }
}
