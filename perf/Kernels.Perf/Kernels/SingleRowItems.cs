using Kernels.Perf.Core;
using Kernels.Perf.Machine;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Kernels;

/// <summary>
/// The per-call overhead figure: one 4096-wide f32 row through the managed API (small enough that it
/// runs on the caller's thread) against the probe's tight AVX2 loop for the same row, whose repeat
/// loop is in native code so it pays no call, validation or dispatch cost. The target is at most 2x.
/// Both keep the row in L1, which is the point: what is left is overhead, not bandwidth.
/// </summary>
public static class SingleRowItems
{
    private const int Cols = KernelSizes.NormCols;
    /// <summary>Native trials per round, each NativeRepeats rows.</summary>
    private const int TrialsPerRound = 4;

    public static IEnumerable<BenchmarkItem> All(TimingPolicy policy)
    {
        double estimate = 2 * (policy.WarmupSeconds + policy.MinSeconds) + 0.1;
        yield return new BenchmarkItem("kernels/single-row/add_rmsnorm", estimate, context => Measure(context, "add_rmsnorm",
            OursAddRmsNorm(context), bits => PerfProbe.AddRmsNormRowSeconds(Cols, NativeRepeats(context), trials: 1, bits)));
        yield return new BenchmarkItem("kernels/single-row/rmsnorm", estimate, context => Measure(context, "rmsnorm",
            OursRmsNorm(context), bits => PerfProbe.RmsNormRowSeconds(Cols, NativeRepeats(context), trials: 1, bits)));
    }

    private static Action OursAddRmsNorm(BenchmarkContext context)
    {
        const long bytes = Cols * sizeof(float);
        NativeBuffer x = First(context, bytes), r = Second(context, bytes), y = Destination(context, bytes), w = Weight(context, bytes);
        return () => RmsNorm.AddRmsNorm<float>(x.Span<float>(Cols), r.Span<float>(Cols), w.Span<float>(Cols), y.Span<float>(Cols),
            Cols, NormCases.Eps);
    }

    private static Action OursRmsNorm(BenchmarkContext context)
    {
        const long bytes = Cols * sizeof(float);
        NativeBuffer x = First(context, bytes), y = Destination(context, bytes), w = Weight(context, bytes);
        return () => RmsNorm.Normalize<float>(x.Span<float>(Cols), w.Span<float>(Cols), y.Span<float>(Cols), Cols, NormCases.Eps);
    }

    /// <summary>
    /// Ours and the native loop at every vector width the CPU has (the kernels dispatch to the widest),
    /// taking turns round by round so load from other processes falls on both alike; medians of both.
    /// </summary>
    private static IReadOnlyList<Measurement> Measure(BenchmarkContext context, string kernel, Action ours, Func<int, double> nativeSeconds)
    {
        var oursSamples = new SampleCollector(ours, context.Timing);
        oursSamples.WarmUp();
        int[] widths = PerfProbe.VectorWidths();
        Dictionary<int, List<double>> nativeSamples = widths.ToDictionary(bits => bits, _ => new List<double>());
        for (int round = 0; round < context.Timing.Rounds; round++)
        {
            oursSamples.CollectRound();
            foreach (int bits in widths)
            {
                for (int trial = 0; trial < TrialsPerRound; trial++)
                {
                    nativeSamples[bits].Add(nativeSeconds(bits));
                }
            }
        }
        Timing timing = oursSamples.Result();
        var results = new List<Measurement> { Row(kernel, Implementations.Ours, timing.MedianSeconds, timing.Calls, null) };
        if (widths.Length == 0)
        {
            results.Add(Row(kernel, Implementations.NativeLoop, double.NaN, 0, "the native loop needs AVX2 + FMA or AVX-512F"));
        }
        foreach ((int bits, List<double> samples) in nativeSamples)
        {
            samples.Sort();
            results.Add(Row(kernel, NativeLoopName(bits), samples[samples.Count / 2], (long)NativeRepeats(context) * samples.Count,
                $"median of {samples.Count} trials of {NativeRepeats(context)} rows"));
        }
        return results;
    }

    /// <summary>"native loop" is the widest width, the one the headline ratio uses; narrower ones are named by width.</summary>
    private static string NativeLoopName(int bits) =>
        bits == PerfProbe.WidestVectorBits() ? Implementations.NativeLoop : $"{Implementations.NativeLoop} ({PerfProbe.IsaName(bits)})";

    private static int NativeRepeats(BenchmarkContext context) => context.Options.Quick ? 5_000 : 20_000;

    private static Measurement Row(string kernel, string implementation, double seconds, long calls, string? note) =>
        new("kernels", $"single-row.{kernel}", implementation, "f32", Cols * sizeof(float), $"1 x {Cols}", 1, seconds,
            0, seconds * 1e9, "ns/row", null, calls, note);
}
