using System.Diagnostics;
using Kernels.Collectives;
using Kernels.Compression;
using Kernels.Perf.Core;

namespace Kernels.Perf.Compression;

/// <summary>
/// Top-k <see cref="CompressedAllReduce"/> through each exchange, forced, at 4 in-process ranks on a 1 Mi-element gradient, at
/// densities k / n on both sides of the bytes crossover 1 / (2 (n - 1)) = 1/6 that <see cref="SparseExchange.Auto"/> uses: bytes
/// one rank sends per step (the figure the rule is about: payload on the links between hosts) and the in-process time per step
/// (compression included, the same for both).
/// </summary>
internal static class TopKExchangeCase
{
    public const int Ranks = 4;

    private static readonly double[] Densities = [0.01, 0.05, 0.1, 0.15, 0.2, 0.3];

    public static BenchmarkItem Item(BenchmarkContext context)
    {
        int n = context.Options.Quick ? 1 << 16 : 1 << 20;
        int steps = context.Options.Quick ? 3 : 10;
        return new BenchmarkItem($"{CompressionFamilies.Group}/topk-exchange/f32/{Ranks}-ranks", Densities.Length * steps * n / 4e6,
            _ => Densities.SelectMany(density => new[] { SparseExchange.AllGather, SparseExchange.ReduceScatter }
                .Select(exchange => Run(n, (int)Math.Round(density * n), exchange, steps))).ToList());
    }

    private static Measurement Run(int n, int k, SparseExchange exchange, int steps)
    {
        Communicator[] ranks = Communicator.CreateInProcess(Ranks, new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(120) });
        var bytes = new long[Ranks];
        var seconds = new double[Ranks];
        try
        {
            Parallel.For(0, Ranks, new ParallelOptions { MaxDegreeOfParallelism = Ranks }, rank =>
            {
                var allReduce = new CompressedAllReduce(ranks[rank], new TopK(k), ErrorFeedback.Ef14(), exchange);
                var random = new Random(rank + 1);
                float[] gradient = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
                var average = new float[n];
                allReduce.Run(gradient, average, MatrixShape.Vector(n));  // warm-up: residual allocated, paths jitted
                var clock = Stopwatch.StartNew();
                for (int step = 0; step < steps; step++)
                {
                    bytes[rank] = allReduce.Run(gradient, average, MatrixShape.Vector(n)).BytesSent;
                }
                seconds[rank] = clock.Elapsed.TotalSeconds / steps;
            });
        }
        finally
        {
            foreach (Communicator rank in ranks) rank.Dispose();
        }
        double density = (double)k / n;
        string name = exchange == SparseExchange.AllGather ? "sparse all-gather" : "sparse reduce-scatter + all-gather";
        bool chosen = SparseExchangeCost.PrefersReduceScatter(k, n, Ranks) == (exchange == SparseExchange.ReduceScatter);
        // Value: bytes per step of rank 0; Seconds: the slowest rank's time per step; Note: whether Auto picks this exchange.
        return new Measurement(CompressionFamilies.Group, CompressionFamilies.TopKExchange, name, "f32", n * (long)sizeof(float),
            $"{n:N0}, k/n = {density:0.###}", Ranks, seconds.Max(), bytes[0], bytes[0], "bytes", null, steps, chosen ? "auto" : null);
    }
}
