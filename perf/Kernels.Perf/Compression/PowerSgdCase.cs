using System.Runtime.CompilerServices;
using Kernels.Compression;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Compression;

/// <summary>
/// One PowerSGD step at rank 4 (P = M Q, orthonormalise P, Q = M^T P, Q kept as the next warm start) through the public
/// <see cref="PowerSgd"/>, against the same steps with OpenBLAS's cblas_sgemm for the two products (the orthonormalisation is
/// the library's scalar loop in both), at one thread and at every core (<see cref="KernelThreading.MaxDegreeOfParallelism"/> for
/// ours, openblas_set_num_threads for OpenBLAS), all four taking turns.
/// </summary>
internal static class PowerSgdCase
{
    private const int Rank = 4;
    private const float Epsilon = 1e-8f;

    public static BenchmarkItem Item(BenchmarkContext context)
    {
        int size = context.Options.Quick ? 1024 : 4096;
        double contenders = 2 * context.OneAndAllThreads.Length;
        return new BenchmarkItem($"{CompressionFamilies.Group}/powersgd/f32/{size}x{size}",
            contenders * (context.Timing.WarmupSeconds + context.Timing.MinSeconds), c => Run(c, size));
    }

    private static unsafe IReadOnlyList<Measurement> Run(BenchmarkContext context, int size)
    {
        long bytes = (long)size * size * sizeof(float);
        NativeBuffer m = First(context, bytes);
        var shape = new MatrixShape(size, size);
        var ours = new PowerSgd(Rank, warmUpSteps: 0, seed: 1);
        ours.Compress(m.Span<float>((long)size * size), shape);  // past the first step: every timed call warm-starts

        float[] q = GC.AllocateArray<float>(size * Rank, pinned: true);
        float[] qNext = GC.AllocateArray<float>(size * Rank, pinned: true);
        float[] p = GC.AllocateArray<float>(size * Rank, pinned: true);
        var random = new Random(1);
        for (int i = 0; i < q.Length; i++) q[i] = random.NextSingle() - 0.5f;
        float* pm = (float*)m.Address;
        float* pq = (float*)Unsafe.AsPointer(ref q[0]), pn = (float*)Unsafe.AsPointer(ref qNext[0]), pp = (float*)Unsafe.AsPointer(ref p[0]);
        Action OpenBlas(int threads) => () =>
            CompressionPeers.PowerSgdStepOpenBlas(pm, pq, pn, pp, (nuint)size, (nuint)size, Rank, Epsilon, threads);

        Action Ours(int threads) => () =>
        {
            int saved = KernelThreading.MaxDegreeOfParallelism;
            KernelThreading.MaxDegreeOfParallelism = threads;
            ours.Compress(m.Span<float>((long)size * size), shape);
            KernelThreading.MaxDegreeOfParallelism = saved;
        };

        int[] threadCounts = context.OneAndAllThreads;
        var calls = threadCounts.SelectMany(threads => new[] { Ours(threads), OpenBlas(threads) }).ToList();
        IReadOnlyList<Timing> timings = MedianTimer.MeasureInTurns(calls, context.Timing);
        string shapeText = $"{size} x {size}, rank {Rank}";
        return threadCounts.SelectMany((threads, i) => new[]
        {
            Time(Implementations.Ours, threads, bytes, shapeText, timings[2 * i]),
            Time(CompressionFamilies.OpenBlas, threads, bytes, shapeText, timings[2 * i + 1]),
        }).ToList();
    }

    private static Measurement Time(string implementation, int threads, long bytes, string shape, Timing timing) =>
        new(CompressionFamilies.Group, CompressionFamilies.PowerSgd, implementation, "f32", bytes, shape, threads, timing.MedianSeconds,
            0, timing.MedianSeconds * 1e3, "ms", null, timing.Calls);
}
