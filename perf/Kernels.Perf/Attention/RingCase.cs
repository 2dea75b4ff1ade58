using Kernels.Attention;
using Kernels.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>
/// Ring attention at 2 in-process ranks, each holding blocks of 2048 tokens (f32, d = 128, 2 heads; zigzag layout): time
/// per ring step and overlap efficiency (compute time / step time, from <see cref="RingTimings"/>), averaged over both
/// ranks. The ranks share the machine, so each runs its kernels on Threads / 2 threads (at least 1); the block exchange
/// runs on each communicator's worker thread meanwhile.
/// </summary>
internal static class RingCase
{
    private const int Ranks = 2;
    internal const int Heads = 2, HeadDim = 128;

    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        int block = context.Options.Quick ? 256 : 2048;
        foreach ((bool backward, bool causal) in new[] { (false, false), (false, true), (true, true) })
        {
            string pass = backward ? "backward" : "forward";
            yield return new BenchmarkItem($"{AttentionFamilies.Group}/ring/{pass}/f32/{block}{(causal ? "/causal" : "")}",
                context.Options.Quick ? 0.3 : 3, c => Run(c, block, backward, causal));
        }
    }

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context, int block, bool backward, bool causal)
    {
        int calls = context.Options.Quick ? 2 : 4;
        var local = new AttentionShape(1, block, block, Heads, Heads, HeadDim);
        AttentionOptions options = causal ? AttentionOptions.CausalMask : AttentionOptions.Default;
        Communicator[] ranks = Communicator.CreateInProcess(Ranks, new CommunicatorOptions { Timeout = TimeSpan.FromMinutes(2) });
        var timings = new RingTimings[Ranks];
        int saved = KernelThreading.MaxDegreeOfParallelism;
        KernelThreading.MaxDegreeOfParallelism = Math.Max(1, context.Threads / Ranks);
        try
        {
            // One dedicated thread per rank: ranks block waiting for each other, so they must not queue behind one
            // another (or behind the kernels' own work) on a pool of 2 threads.
            var failures = new Exception?[Ranks];
            Thread[] threads = Enumerable.Range(0, Ranks).Select(rank => new Thread(() =>
            {
                try
                {
                    timings[rank] = new RingTimings();
                    RunRank(ranks[rank], local, options, backward, calls, timings[rank]);
                }
                catch (Exception e)
                {
                    failures[rank] = e;
                }
            }) { Name = $"ring rank {rank}" }).ToArray();
            foreach (Thread thread in threads)
            {
                thread.Start();
            }
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
            if (failures.FirstOrDefault(f => f is not null) is { } failure)
            {
                throw new InvalidOperationException("a ring rank failed", failure);
            }
        }
        finally
        {
            KernelThreading.MaxDegreeOfParallelism = saved;
            foreach (Communicator rank in ranks)
            {
                rank.Dispose();
            }
        }

        double stepSeconds = timings.Average(t => t.Total.TotalSeconds / t.Steps);
        double overlap = timings.Average(t => t.OverlapEfficiency);
        string label = $"{(backward ? "backward" : "forward")}, {Ranks} in-process ranks x {block} tokens, h={Heads} d={HeadDim}{(causal ? " causal" : "")}";
        return
        [
            new(AttentionFamilies.Group, AttentionFamilies.Ring, backward ? "ring backward" : "ring forward", "f32",
                local.QueryLength * sizeof(float), label, Math.Max(1, context.Threads / Ranks), stepSeconds, 0, 100 * overlap,
                "% overlap", null, (long)calls * Ranks),
        ];
    }

    /// <summary>One rank of the measurement: a warm-up forward call, then <paramref name="calls"/> timed calls. Also run by <see cref="RingRankCommand"/>.</summary>
    internal static void RunRank(Communicator communicator, AttentionShape s, AttentionOptions options, bool backward, int calls,
        RingTimings timings)
    {
        var random = new Random(communicator.Rank + 1);
        float[] q = Values(s.QueryLength), k = Values(s.KeyLength), v = Values(s.ValueLength), dO = Values(s.OutputLength);
        float[] o = new float[s.OutputLength], lse = new float[s.RowCount];
        float[] dq = new float[s.QueryLength], dk = new float[s.KeyLength], dv = new float[s.ValueLength];
        RingAttention.Forward<float>(communicator, q, k, v, o, lse, s, SequenceLayout.Zigzag, options);  // warm-up
        for (int call = 0; call < calls; call++)
        {
            if (backward)
            {
                RingAttention.Backward<float>(communicator, q, k, v, o, lse, dO, dq, dk, dv, s, SequenceLayout.Zigzag, options, timings);
            }
            else
            {
                RingAttention.Forward<float>(communicator, q, k, v, o, lse, s, SequenceLayout.Zigzag, options, timings);
            }
        }

        float[] Values(long count) => Enumerable.Range(0, (int)count).Select(_ => random.NextSingle() - 0.5f).ToArray();
    }
}
