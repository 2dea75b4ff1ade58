using Kernels.Compression;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Compression;

/// <summary>
/// Top-k of 1% by magnitude: exact (radix select) and sampled-threshold (a 1% sample, as Deep Gradient Compression) through the
/// public API, against what selection replaces, a full sort of the magnitudes: std::sort of |x| copied into a scratch buffer,
/// in native code (perf/native). All three run on one thread, taking turns.
/// </summary>
internal static class TopKCase
{
    public static BenchmarkItem Item(BenchmarkContext context)
    {
        int n = context.Options.Quick ? 1 << 20 : 16 << 20;
        // std::sort of 16M floats takes about a second: three samples (one per round) after the two warm-up calls.
        double sortSeconds = n / 16e6;
        return new BenchmarkItem($"{CompressionFamilies.Group}/topk/f32/{KernelSizes.Label(n * 4L)}",
            5 * sortSeconds + 2 * Policy(context).MinSeconds, c => Run(c, n));
    }

    private static TimingPolicy Policy(BenchmarkContext context) =>
        context.Timing with { WarmupSeconds = 0, MinSeconds = context.Options.Quick ? 0.06 : 0.6, MinSamples = 3, Rounds = 3 };

    private static unsafe IReadOnlyList<Measurement> Run(BenchmarkContext context, int n)
    {
        long bytes = n * (long)sizeof(float);
        int k = n / 100;
        NativeBuffer x = First(context, bytes), scratch = Destination(context, bytes);
        var exact = new TopK(k);
        var sampled = TopK.Sampled(k, sampleSize: n / 100, seed: 1);
        var shape = MatrixShape.Vector(n);
        IReadOnlyList<Timing> timings = MedianTimer.MeasureInTurns(
        [
            () => exact.Compress(x.Span<float>(n), shape),
            () => sampled.Compress(x.Span<float>(n), shape),
            () => CompressionPeers.SortMagnitudes((float*)x.Address, (float*)scratch.Address, (nuint)n, (nuint)k),
        ], Policy(context));
        string shapeText = $"{n:N0}, k = {k:N0}";
        return
        [
            Time(CompressionFamilies.TopKExact, bytes, shapeText, timings[0]),
            Time(CompressionFamilies.TopKSampled, bytes, shapeText, timings[1]),
            Time(CompressionFamilies.StdSort, bytes, shapeText, timings[2]),
        ];
    }

    private static Measurement Time(string implementation, long bytes, string shape, Timing timing) =>
        new(CompressionFamilies.Group, CompressionFamilies.TopK, implementation, "f32", bytes, shape, 1, timing.MedianSeconds, 0,
            timing.MedianSeconds * 1e3, "ms", null, timing.Calls);
}
