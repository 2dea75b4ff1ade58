using Kernels.Perf.Core;

namespace Kernels.Perf.Machine;

/// <summary>
/// STREAM copy and triad through the native probe. The full probe (256 MiB arrays, one core and all)
/// runs at the start and the end of a run. Every large kernel case also times one STREAM pass (64 MiB
/// arrays, all cores) as an extra contender taking turns with the kernels, and is reported against
/// that: on this small shared machine the bandwidth two cores get swings by up to 2x from minute to
/// minute, so only a limit measured in the same moments as the kernel is a fair denominator.
/// </summary>
public static class StreamProbe
{
    /// <summary>Per array in the full probe: 8x the 32 MiB L3 reported here.</summary>
    public const long FullArrayBytes = 256L << 20;

    /// <summary>Per array in a pass in turns with a kernel case: still 2x the L3, 6x with all three.</summary>
    private const long SampleArrayBytes = 64L << 20;

    /// <summary>Pool buffers the in-turns passes use, clear of the kernel cases' buffers 0-4.</summary>
    private const int SampleBufferBase = 5;

    public static IReadOnlyList<Measurement> Full(BenchmarkContext context, int repeats, string when) =>
        Measure(context, bufferBase: 0, FullArrayBytes, context.OneAndAllThreads, repeats, when);

    /// <summary>One all-core pass of <paramref name="limit"/> ("copy" or "triad") as a call to time in turns with a kernel case.</summary>
    public static unsafe (Action Call, long BytesMoved) InTurns(BenchmarkContext context, string limit)
    {
        float* a = (float*)context.Buffers.Get(SampleBufferBase, SampleArrayBytes).Address;
        float* b = (float*)context.Buffers.Get(SampleBufferBase + 1, SampleArrayBytes).Address;
        float* c = (float*)context.Buffers.Get(SampleBufferBase + 2, SampleArrayBytes).Address;
        nuint count = (nuint)(SampleArrayBytes / sizeof(float));
        int threads = context.Threads;
        return limit == "copy"
            ? (() => PerfProbe.StreamCopy(a, b, count, threads, 1), 2 * SampleArrayBytes)
            : (() => PerfProbe.StreamTriad(a, b, c, 3f, count, threads, 1), 3 * SampleArrayBytes);
    }

    /// <summary>The in-turns pass as a measurement of its own, so results.json and the machine table keep it.</summary>
    public static Measurement InTurnsResult(string limit, int threads, long bytesMoved, Timing timing, string beside) =>
        new("machine", "stream", limit, "f32", SampleArrayBytes, $"3 x {SampleArrayBytes >> 20} MiB", threads, timing.MedianSeconds,
            bytesMoved, bytesMoved / timing.MedianSeconds / 1e9, "GB/s", null, timing.Calls, $"median, in turns with {beside}");

    private static unsafe IReadOnlyList<Measurement> Measure(BenchmarkContext context, int bufferBase, long arrayBytes,
        int[] threadCounts, int repeats, string when)
    {
        float* a = (float*)context.Buffers.Get(bufferBase, arrayBytes).Address;
        float* b = (float*)context.Buffers.Get(bufferBase + 1, arrayBytes).Address;
        float* c = (float*)context.Buffers.Get(bufferBase + 2, arrayBytes).Address;
        nuint count = (nuint)(arrayBytes / sizeof(float));
        string shape = $"3 x {arrayBytes >> 20} MiB";
        var results = new List<Measurement>();
        foreach (int threads in threadCounts)
        {
            double copy = PerfProbe.StreamCopy(a, b, count, threads, repeats);
            results.Add(Result("copy", threads, copy, 2 * arrayBytes, arrayBytes, shape, repeats, when));
            double triad = PerfProbe.StreamTriad(a, b, c, 3f, count, threads, repeats);
            results.Add(Result("triad", threads, triad, 3 * arrayBytes, arrayBytes, shape, repeats, when));
        }
        return results;
    }

    private static Measurement Result(string kind, int threads, double seconds, long bytesMoved, long arrayBytes, string shape,
        int repeats, string when) =>
        new("machine", "stream", kind, "f32", arrayBytes, shape, threads, seconds, bytesMoved, bytesMoved / seconds / 1e9, "GB/s",
            null, repeats, $"best of {repeats}, {when}");
}
