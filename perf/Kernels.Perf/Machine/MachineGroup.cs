using Kernels.Perf.Core;

namespace Kernels.Perf.Machine;

/// <summary>
/// The machine's limits, measured in the same run as everything reported against them: STREAM copy
/// and triad bandwidth (<see cref="StreamProbe"/>), and the FMA peak per vector width, each on one core
/// and on all cores. With <c>endOfRun</c>, only STREAM, once more after every other group.
/// </summary>
public sealed class MachineGroup(bool endOfRun = false) : IBenchmarkGroup
{
    public string Name => endOfRun ? "machine-end" : "machine";

    public bool MeasuresLimits => true;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context)
    {
        // Best of many passes: other processes on a 2-core machine can slow any single pass.
        int repeats = context.Options.Quick ? 5 : 20;
        double fmaSeconds = context.Options.Quick ? 0.2 : 0.5;
        var stream = new BenchmarkItem($"{Name}/stream", 4 * repeats * 0.02 + 1.5,
            c => StreamProbe.Full(c, repeats, endOfRun ? "end of run" : "start of run"));
        return endOfRun ? [stream] : [stream, new BenchmarkItem("machine/fma", 4 * fmaSeconds, c => MeasureFma(c, fmaSeconds))];
    }

    /// <summary>Every vector width the CPU has (the kernels may dispatch to the widest), on one core and on all.</summary>
    private static IReadOnlyList<Measurement> MeasureFma(BenchmarkContext context, double seconds)
    {
        int[] widths = PerfProbe.VectorWidths();
        if (widths.Length == 0)
        {
            return [new Measurement("machine", "fma", "avx2-fma", "f32", 0, "", 1, double.NaN, 0, double.NaN, "GFLOP/s", null, 0,
                "this CPU has neither AVX2 + FMA nor AVX-512F")];
        }
        return widths
            .SelectMany(bits => context.OneAndAllThreads.Select(threads => new Measurement("machine", "fma", PerfProbe.IsaName(bits), "f32",
                0, "12 FMA chains", threads, seconds, 0, PerfProbe.FmaPeakGflops(threads, seconds, bits), "GFLOP/s", null, 1)))
            .ToList();
    }
}
