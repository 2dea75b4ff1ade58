using System.Runtime.InteropServices;

namespace Kernels.Perf.Compression;

/// <summary>
/// The native compression peers (perf/native/compression_peers.h): std::sort of the magnitudes and PowerSGD with OpenBLAS
/// products. Hand-written imports, as for the probe: peers are not part of the library whose bindings are generated.
/// </summary>
internal static unsafe partial class CompressionPeers
{
    private const string Library = "kernels_perf_compression_peers";

    [LibraryImport(Library, EntryPoint = "kpc_sort_magnitudes")]
    internal static partial float SortMagnitudes(float* x, float* scratch, nuint n, nuint k);

    [LibraryImport(Library, EntryPoint = "kpc_powersgd_step_openblas")]
    internal static partial void PowerSgdStepOpenBlas(float* m, float* q, float* qNext, float* p, nuint rows, nuint cols, nuint rank,
        float eps, int threads);
}
