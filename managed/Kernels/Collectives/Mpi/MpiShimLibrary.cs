using Kernels.Cuda;
using Kernels.Interop;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// The optional libkernels_mpi (cpp/mpi, bound from kernels_mpi.h as <see cref="MpiShimMethods"/>), built once per MPI
/// implementation CMake finds and shipped beside libkernels: <c>libkernels_mpi.so</c> against Open MPI,
/// <c>libkernels_mpi_mpich.so</c> against MPICH. Their C ABI is the same, but each is bound to its MPI's ABI, so the one that
/// matches the launcher that started this process is loaded (see <see cref="MpiLauncher"/>); the other would start MPI as a
/// lone singleton. The assembly's resolver (<see cref="NativeLibraryLocator"/>) hands out this handle for every binding, so
/// code must check <see cref="Library"/>.IsLoaded before its first <see cref="MpiShimMethods"/> call.
/// </summary>
internal static class MpiShimLibrary
{
    internal const string LibraryName = "kernels_mpi";

    private static readonly Lazy<OptionalLibrary> Loaded = new(() =>
        Load(MpiLauncher.Detect(Environment.GetEnvironmentVariable), LibkernelsFolder()));

    internal static OptionalLibrary Library => Loaded.Value;

    /// <summary>The shim's file name for <paramref name="implementation"/>.</summary>
    internal static string FileName(MpiImplementation implementation) => implementation switch
    {
        MpiImplementation.OpenMpi => "libkernels_mpi.so",
        MpiImplementation.Mpich => "libkernels_mpi_mpich.so",
        _ => throw new ArgumentOutOfRangeException(nameof(implementation), implementation, "Not an MPI implementation."),
    };

    /// <summary>
    /// Loads the shim of <paramref name="launcher"/>'s implementation, from <paramref name="folder"/> (beside libkernels) and
    /// then through the OS loader's search. Without a launcher (a singleton process, or no MPI at all: the binding tests), the
    /// Open MPI build and then the MPICH one: whichever exists serves calls that need no launcher.
    /// </summary>
    internal static OptionalLibrary Load(MpiLauncher? launcher, string? folder)
    {
        if (launcher is null)
        {
            return OptionalLibrary.Probe([.. Candidates(MpiImplementation.OpenMpi, folder), .. Candidates(MpiImplementation.Mpich, folder)]);
        }
        OptionalLibrary matching = OptionalLibrary.Probe(Candidates(launcher.Implementation, folder));
        if (matching.IsLoaded)
        {
            return matching;
        }
        MpiImplementation other = launcher.Implementation == MpiImplementation.OpenMpi ? MpiImplementation.Mpich : MpiImplementation.OpenMpi;
        string otherState = Candidates(other, folder).FirstOrDefault(File.Exists) is { } otherFile
            ? $"{otherFile} exists but is built against {Name(other)}, whose ABI differs"
            : $"{FileName(other)} ({Name(other)}) is not there either";
        return matching with
        {
            Description = $"this process was started by {Name(launcher.Implementation)}'s launcher ({launcher.Evidence} is set), which needs " +
                $"{FileName(launcher.Implementation)}, the shim built against {Name(launcher.Implementation)}: {matching.Description}; {otherState}. " +
                "CMake builds each shim where pkg-config finds that MPI (ompi-c, mpich; ./build.sh deps installs both)",
        };
    }

    internal static string Name(MpiImplementation implementation) => implementation == MpiImplementation.OpenMpi ? "Open MPI" : "MPICH";

    private static IEnumerable<string> Candidates(MpiImplementation implementation, string? folder)
    {
        string file = FileName(implementation);
        if (folder is not null)
            yield return Path.Combine(folder, file);
        yield return file;
    }

    /// <summary>Where the libkernels in use lives (where the build and a NuGet package put the shims), or null without one.</summary>
    private static string? LibkernelsFolder()
    {
        try
        {
            return Path.GetDirectoryName(NativeLibraryLocator.LoadedPath);
        }
        catch (NativeLibraryException)
        {
            // No libkernels either: only the loader's search is left.
            return null;
        }
    }
}
