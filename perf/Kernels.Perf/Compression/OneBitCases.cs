using Kernels.Compression;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using Kernels.Perf.Machine;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Compression;

/// <summary>
/// 1-bit compression with EF14 (the fused compress + residual update) and decompression, through the public API on all cores,
/// against STREAM passes timed in turns with them: triad for compress (three streams: read g, read e, write e) and copy for
/// decompress (one dense stream, the write; copy is the nearest STREAM kernel).
/// </summary>
internal static class OneBitCases
{
    /// <summary>Elements per scale: the API's default, small enough that a chunk stays in L1/L2 between the kernel's two passes.</summary>
    private const int ChunkSize = 2048;

    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        long[] counts = context.Options.Quick ? [16L << 20] : [16L << 20, 64L << 20];
        foreach (long count in counts)
        {
            long bytes = count * sizeof(float);
            yield return new BenchmarkItem($"{CompressionFamilies.Group}/onebit/f32/{KernelSizes.Label(bytes)}",
                4 * (context.Timing.WarmupSeconds + context.Timing.MinSeconds) + bytes * 6 / 5e9 * context.Timing.MinSamples,
                c => Run(c, (int)count));
        }
    }

    /// <summary>g, e, e: the fused kernel reads the gradient and the residual and writes the residual; plus signs and scales.</summary>
    public static long CompressBytes(long n) => 3 * n * sizeof(float) + MessageBytes(n);

    /// <summary>The message read and the dense result written.</summary>
    public static long DecompressBytes(long n) => n * sizeof(float) + MessageBytes(n);

    private static long MessageBytes(long n) => (n + 31) / 32 * sizeof(uint) + (n + ChunkSize - 1) / ChunkSize * sizeof(float);

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context, int n)
    {
        long bytes = (long)n * sizeof(float);
        NativeBuffer gradient = First(context, bytes);
        NativeBuffer destination = Destination(context, bytes);
        var compressor = new OneBit(ChunkSize);
        var withFeedback = new ErrorFeedbackCompressor<SignMessage>(compressor, ErrorFeedback.Ef14());
        SignMessage message = withFeedback.Compress(gradient.Span<float>(n), MatrixShape.Vector(n));  // also allocates the residual

        (Action triad, long triadBytes) = StreamProbe.InTurns(context, "triad");
        (Action copy, long copyBytes) = StreamProbe.InTurns(context, "copy");
        IReadOnlyList<Timing> timings = MedianTimer.MeasureInTurns(
        [
            () => withFeedback.Compress(gradient.Span<float>(n), MatrixShape.Vector(n)),
            () => compressor.Decompress(message, destination.Span<float>(n)),
            triad,
            copy,
        ], context.Timing);

        string item = $"1-bit f32 {KernelSizes.Label(bytes)}";
        Measurement triadPass = StreamProbe.InTurnsResult("triad", context.Threads, triadBytes, timings[2], item);
        Measurement copyPass = StreamProbe.InTurnsResult("copy", context.Threads, copyBytes, timings[3], item);
        return
        [
            triadPass,
            copyPass,
            Bandwidth(CompressionFamilies.OneBitCompressEf, n, context.Threads, CompressBytes(n), "triad", timings[0], triadPass.Value),
            Bandwidth(CompressionFamilies.OneBitDecompress, n, context.Threads, DecompressBytes(n), "copy", timings[1], copyPass.Value),
        ];
    }

    private static Measurement Bandwidth(string family, int n, int threads, long bytesMoved, string limit, Timing timing, double limitValue) =>
        new(CompressionFamilies.Group, family, Implementations.Ours, "f32", (long)n * sizeof(float), $"{n:N0}, chunk {ChunkSize}", threads,
            timing.MedianSeconds, bytesMoved, bytesMoved / timing.MedianSeconds / 1e9, "GB/s", limit, timing.Calls, LimitValue: limitValue);
}
