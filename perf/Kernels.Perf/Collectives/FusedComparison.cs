using System.Globalization;
using Kernels.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <see cref="Communicator.AllReduceAddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, float, CancellationToken)"/>
/// against the unfused pair it replaces — <see cref="Communicator.AllReduce{T}(ReadOnlySpan{T}, Span{T}, ReduceOp, CancellationToken)"/>
/// then <see cref="RmsNorm.AddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, float)"/> — for
/// 1..4096 tokens x hidden 4096, f32, 2 ranks, timed in alternation (<see cref="AlternatingTimer"/>): ranks as
/// processes over shared memory (the transport users deploy; <see cref="FusedRankCommand"/> through the launcher) and
/// as threads of this process (the in-process transport, for tests and simulation).
/// </summary>
internal static class FusedComparison
{
    public const string Family = "allreduce_add_rmsnorm";
    public const string Fused = "fused AllReduceAddRmsNorm";
    public const string Unfused = "AllReduce + AddRmsNorm";
    public const string FusedProcesses = "fused AllReduceAddRmsNorm (2 processes)";
    public const string UnfusedProcesses = "AllReduce + AddRmsNorm (2 processes)";
    public const int Hidden = 4096;
    private const float Eps = 1e-6f;

    public static IReadOnlyList<int> Tokens(bool quick) => quick ? [1, 64, 1024] : [1, 4, 16, 64, 256, 1024, 4096];

    public static string ShapeOf(int tokens) => $"{tokens} tokens x {Hidden}";

    public static IReadOnlyList<Measurement> Measure(bool quick, double seconds)
    {
        var results = new List<Measurement>(MeasureProcesses(quick, seconds));
        Communicator[] ranks = Communicator.CreateInProcess(SweepPlan.Ranks, new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(60) });
        try
        {
            foreach (int tokens in Tokens(quick))
            {
                (double, long)[] timed = ThreadJob.Run(ranks, "fused comparison", communicator => Time(communicator, tokens, seconds));
                results.AddRange(MeasurementsOf(tokens, timed, Fused, Unfused));
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

    private static IEnumerable<Measurement> MeasurementsOf(int tokens, (double PerCall, long Calls)[] timed, string fused, string unfused) =>
        timed.Zip(new[] { fused, unfused }, ((double PerCall, long Calls) t, string implementation) =>
            new Measurement(CollectiveNames.Group, Family, implementation, "f32", (long)tokens * Hidden * 4, ShapeOf(tokens), SweepPlan.Ranks,
                t.PerCall, 0, t.PerCall * 1e6, "µs", null, t.Calls));

    /// <summary>The same comparison with the ranks as 2 processes; a failed job is reported as not run, with its errors.</summary>
    private static IEnumerable<Measurement> MeasureProcesses(bool quick, double seconds)
    {
        IReadOnlyList<int> tokens = Tokens(quick);
        string[] arguments = [FusedRankCommand.Name, "--tokens", string.Join(",", tokens), "--seconds", seconds.ToString("R", CultureInfo.InvariantCulture)];
        var measured = new List<Measurement>();
        foreach (string line in LaunchedRanks.Run(SweepPlan.Ranks, arguments, TimeSpan.FromMinutes(5), "the fused comparison's ranks")
                     .Where(line => line.StartsWith(FusedRankCommand.ResultPrefix, StringComparison.Ordinal)))
        {
            Dictionary<string, string> fields = line[FusedRankCommand.ResultPrefix.Length..].Split(' ')
                .Select(field => field.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            long[] calls = fields["calls"].Split(',').Select(c => long.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            measured.AddRange(MeasurementsOf(int.Parse(fields["tokens"], CultureInfo.InvariantCulture),
                [(double.Parse(fields["fused"], CultureInfo.InvariantCulture), calls[0]), (double.Parse(fields["unfused"], CultureInfo.InvariantCulture), calls[1])],
                FusedProcesses, UnfusedProcesses));
        }
        if (measured.Count != 2 * tokens.Count)
        {
            throw new InvalidOperationException($"the fused comparison's ranks measured {measured.Count / 2} of {tokens.Count} token counts");
        }
        return measured;
    }

    /// <summary>One rank: both contenders on the same data, timed in alternation (fused first).</summary>
    internal static (double Seconds, long Calls)[] Time(Communicator communicator, int tokens, double seconds)
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
