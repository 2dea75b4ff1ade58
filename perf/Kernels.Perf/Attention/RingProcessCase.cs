using System.Globalization;
using Kernels.Collectives;
using Kernels.Perf.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>
/// Ring attention at 2 shared-memory processes, the same problem as <see cref="RingCase"/> (blocks of 2048 tokens, f32,
/// d = 128, 2 heads, zigzag): the launcher starts this program twice as <c>kernels-perf ring-rank</c>
/// (<see cref="RingRankCommand"/>), so the K/V blocks cross between processes through /dev/shm rather than between
/// threads of one process.
/// </summary>
internal static class RingProcessCase
{
    private const int Ranks = 2;

    /// <summary>Kernel threads per rank: the cores shared out, as in the in-process case.</summary>
    internal static int ThreadsPerRank(int ranks) => Math.Max(1, Environment.ProcessorCount / ranks);

    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        int block = context.Options.Quick ? 256 : 2048;
        foreach ((bool backward, bool causal) in new[] { (false, false), (false, true), (true, true) })
        {
            string pass = backward ? "backward" : "forward";
            yield return new BenchmarkItem($"{AttentionFamilies.Group}/ring-processes/{pass}/f32/{block}{(causal ? "/causal" : "")}",
                context.Options.Quick ? 1 : 4, c => Run(c, block, backward, causal));
        }
    }

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context, int block, bool backward, bool causal)
    {
        int calls = context.Options.Quick ? 2 : 4;
        string[] arguments = [RingRankCommand.Name, "--block", block.ToString(CultureInfo.InvariantCulture),
            "--pass", backward ? "backward" : "forward", "--calls", calls.ToString(CultureInfo.InvariantCulture), .. causal ? new[] { "--causal" } : []];
        string result = LaunchedRanks.Run(Ranks, arguments, TimeSpan.FromMinutes(5), "ring ranks")
            .FirstOrDefault(line => line.StartsWith(RingRankCommand.ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException("ring rank 0 printed no result line");
        double stepSeconds = Field(result, "step-seconds="), overlap = Field(result, "overlap=");
        string label = $"{(backward ? "backward" : "forward")}, {Ranks} processes x {block} tokens, h={RingCase.Heads} d={RingCase.HeadDim}{(causal ? " causal" : "")}";
        return
        [
            new(AttentionFamilies.Group, AttentionFamilies.Ring, backward ? "ring backward" : "ring forward", "f32",
                (long)block * RingCase.Heads * RingCase.HeadDim * sizeof(float), label, ThreadsPerRank(Ranks), stepSeconds, 0,
                100 * overlap, "% overlap", null, (long)calls * Ranks),
        ];
    }

    private static double Field(string line, string name)
    {
        int start = line.IndexOf(name, StringComparison.Ordinal) + name.Length;
        int end = line.IndexOf(' ', start);
        return double.Parse(end < 0 ? line[start..] : line[start..end], CultureInfo.InvariantCulture);
    }
}
