using System.Globalization;
using Kernels.Collectives;
using Kernels.Cuda;
using Kernels.Perf.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// With two or more GPUs: all-reduce busbw (nccl-tests: S / t x 2(n-1)/n) of NCCL, of our fused all-reduce + add + RMSNorm,
/// and of NCCL all-reduce followed by our add + RMSNorm, bf16, hidden 4096, tokens 1..4096, one process per GPU started as
/// <c>kernels-perf gpu-rank</c> (<see cref="GpuRankCommand"/>). With one GPU: one row saying so (planned only when a GPU is present). NOTE: the GPU path has never run: the machine it was written on has no GPU.
/// </summary>
internal static class MultiGpuCase
{
    public static BenchmarkItem Item(BenchmarkContext context) => new($"{CudaFamilies.Group}/multi-gpu", 30, Run);

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context)
    {
        int devices = CudaDevicePresence.Count(out _);
        if (devices < 2)
            return [NotRun(CudaFamilies.MultiGpu, $"{devices} GPU here: the multi-GPU collectives need at least 2.")];

        int ranks = Math.Min(devices, CudaFusedAllReduce.MaxRanks);
        int[] tokens = context.Options.Quick ? [1, 64, 4096] : [1, 4, 16, 64, 256, 1024, 4096];
        int repeats = context.Options.Quick ? 5 : 20;
        string[] arguments = [GpuRankCommand.Name, "--tokens", string.Join(',', tokens), "--repeats", repeats.ToString(CultureInfo.InvariantCulture)];
        var rows = new List<Measurement>();
        foreach (string line in LaunchedRanks.Run(ranks, arguments, TimeSpan.FromMinutes(10), "gpu ranks"))
        {
            if (line.StartsWith(GpuRankCommand.NotRunPrefix, StringComparison.Ordinal))
                rows.Add(NotRun(line[GpuRankCommand.NotRunPrefix.Length..].Split(':')[0], line[GpuRankCommand.NotRunPrefix.Length..]));
            else if (PeerCase.TryParse(line) is { } result)
                rows.Add(Row(result));
        }
        return rows;
    }

    private static Measurement Row(PeerCase c) =>
        new(CudaFamilies.Group, CudaFamilies.AllReduce, c.Peer, "bf16", c.Bytes, $"{c.Count / GpuRankCommand.Hidden} x {GpuRankCommand.Hidden}",
            c.Ranks, c.TimeUs / 1e6, c.Bytes, c.BusbwGBs, "GB/s busbw", null, c.Calls, Wrong: c.Wrong);

    private static Measurement NotRun(string implementation, string reason) =>
        new(CudaFamilies.Group, CudaFamilies.AllReduce, implementation, "bf16", 0, "", 0, double.NaN, 0, double.NaN, "GB/s busbw", null, 0, reason);
}
