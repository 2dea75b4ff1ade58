using System.Runtime.InteropServices;

namespace Kernels.Perf.Machine;

/// <summary>
/// The native probe (perf/native/probe.h): machine limits and tight native loops. Hand-written imports
/// on purpose — the probe is a benchmark peer, not part of the library whose bindings are generated.
/// </summary>
internal static unsafe partial class PerfProbe
{
    private const string Library = "kernels_perf_probe";

    [LibraryImport(Library, EntryPoint = "kp_stream_copy")]
    internal static partial double StreamCopy(float* dst, float* src, nuint count, int threads, int repeats);

    [LibraryImport(Library, EntryPoint = "kp_stream_triad")]
    internal static partial double StreamTriad(float* a, float* b, float* c, float scalar, nuint count, int threads, int repeats);

    [LibraryImport(Library, EntryPoint = "kp_widest_vector_bits")]
    internal static partial int WidestVectorBits();

    [LibraryImport(Library, EntryPoint = "kp_fma_peak_gflops")]
    internal static partial double FmaPeakGflops(int threads, double secondsPerThread, int vectorBits);

    [LibraryImport(Library, EntryPoint = "kp_add_rms_norm_row_seconds")]
    internal static partial double AddRmsNormRowSeconds(nuint cols, int repeats, int trials, int vectorBits);

    [LibraryImport(Library, EntryPoint = "kp_rms_norm_row_seconds")]
    internal static partial double RmsNormRowSeconds(nuint cols, int repeats, int trials, int vectorBits);

    /// <summary>The vector widths the probe can run here, widest last: 256 (AVX2 + FMA), 512 (AVX-512F).</summary>
    internal static int[] VectorWidths() => WidestVectorBits() switch
    {
        512 => [256, 512],
        256 => [256],
        _ => [],
    };

    internal static string IsaName(int vectorBits) => vectorBits == 512 ? "avx512-fma" : "avx2-fma";
}
