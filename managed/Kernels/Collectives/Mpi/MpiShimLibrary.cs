using Kernels.Cuda;
using Kernels.Interop;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// The optional libkernels_mpi (cpp/mpi, bound from kernels_mpi.h as <see cref="MpiShimMethods"/>): built only where CMake
/// finds MPI, and then shipped beside libkernels. The assembly's resolver (<see cref="NativeLibraryLocator"/>) hands out this
/// handle, so code must check <see cref="Library"/>.IsLoaded before its first <see cref="MpiShimMethods"/> call.
/// </summary>
internal static class MpiShimLibrary
{
    internal const string LibraryName = "kernels_mpi";
    internal const string FileName = "libkernels_mpi.so";

    private static readonly Lazy<OptionalLibrary> Loaded = new(() => OptionalLibrary.Probe(CandidatePaths()));

    internal static OptionalLibrary Library => Loaded.Value;

    /// <summary>Beside the libkernels in use (where the build and a NuGet package put it), then the OS loader's search.</summary>
    private static IEnumerable<string> CandidatePaths()
    {
        string? folder = null;
        try
        {
            folder = Path.GetDirectoryName(NativeLibraryLocator.LoadedPath);
        }
        catch (NativeLibraryException)
        {
            // No libkernels either: only the loader's search is left.
        }
        if (folder is not null)
            yield return Path.Combine(folder, FileName);
        yield return FileName;
    }
}
