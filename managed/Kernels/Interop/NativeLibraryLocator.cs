using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernels.Interop;

/// <summary>
/// Finds and loads libkernels for every <c>[DllImport("kernels")]</c> in this assembly, and refuses a
/// library of another ABI major version. Probing order, first good one wins:
/// <c>runtimes/&lt;rid&gt;/native/</c> (current RID, then linux-x64) and then the folder itself, next to
/// the Kernels assembly and then under <see cref="AppContext.BaseDirectory"/>; last the
/// <c>KERNELS_NATIVE_PATH</c> environment variable (a file, or a folder holding the library).
/// </summary>
internal static unsafe class NativeLibraryLocator
{
    /// <summary>The library name the generated bindings of kernels.h import.</summary>
    internal const string LibraryName = "kernels";
    internal const string PathVariable = "KERNELS_NATIVE_PATH";
    private const string FallbackRid = "linux-x64";

    // Lazy caches a failure as well as a success: every later call sees the same exception, and a
    // failed probe is not repeated on each P/Invoke binding.
    private static readonly Lazy<LoadedLibrary> Library = new(() => Load(DefaultCandidatePaths()));

    /// <summary>
    /// Loads the library now, or throws the <see cref="NativeLibraryException"/> that says why it cannot be.
    /// The managed API calls this before its first native call so the failure surfaces at a clear point.
    /// </summary>
    internal static void EnsureLoaded() => _ = Library.Value;

    /// <summary>The file the bindings use (loads the library if it is not loaded yet).</summary>
    internal static string LoadedPath => Library.Value.Path;

#pragma warning disable CA2255 // A library module initializer is the only hook that runs before the first P/Invoke binds.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLocator).Assembly, Resolve);

    // The CUDA libraries are optional: Kernels.Cuda checks CudaLibraries before its first call and
    // throws CudaUnavailableException, so a zero handle here is never reached through a binding.
    // The MPI shim is optional too: callers check MpiShimLibrary.Library.IsLoaded first.
    // Other library names fall through (IntPtr.Zero) to the runtime's default probing.
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        LibraryName => Library.Value.Handle,
        Cuda.CudaLibraries.DriverLibraryName => Cuda.CudaLibraries.Driver.Handle,
        Cuda.CudaLibraries.NvrtcLibraryName => Cuda.CudaLibraries.Nvrtc.Handle,
        Cuda.CudaLibraries.NcclLibraryName => Cuda.CudaLibraries.Nccl.Handle,
        Collectives.Mpi.MpiShimLibrary.LibraryName => Collectives.Mpi.MpiShimLibrary.Library.Handle,
        _ => IntPtr.Zero,
    };

    /// <summary>The probing order described on the class.</summary>
    internal static IEnumerable<string> DefaultCandidatePaths()
    {
        string fileName = NativeFileName();
        var rids = new[] { RuntimeInformation.RuntimeIdentifier, FallbackRid }.Distinct();
        var folders = new[] { Path.GetDirectoryName(typeof(NativeLibraryLocator).Assembly.Location), AppContext.BaseDirectory }
            .Where(folder => !string.IsNullOrEmpty(folder))
            .Select(folder => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder!)))
            .Distinct();
        foreach (string folder in folders)
        {
            foreach (string rid in rids)
                yield return Path.Combine(folder, "runtimes", rid, "native", fileName);
            // A RID-specific publish flattens runtimes/<rid>/native into the application folder.
            yield return Path.Combine(folder, fileName);
        }

        string? configured = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(configured))
            yield return Directory.Exists(configured) ? Path.Combine(configured, fileName) : configured;
    }

    /// <summary>
    /// Loads the first candidate that exists, loads, and has the ABI major version the bindings were
    /// generated from; otherwise throws one <see cref="NativeLibraryException"/> describing every candidate.
    /// </summary>
    internal static LoadedLibrary Load(IEnumerable<string> candidatePaths)
    {
        var probed = new List<string>();
        var findings = new List<string>();
        foreach (string path in candidatePaths.Distinct())
        {
            probed.Add(path);
            if (!File.Exists(path))
            {
                findings.Add($"{path}: missing");
                continue;
            }

            IntPtr handle;
            try
            {
                handle = NativeLibrary.Load(path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                findings.Add($"{path}: failed to load: {LoaderError(e)}");
                continue;
            }

            string? versionProblem = VersionProblem(handle);
            if (versionProblem == null)
                return new LoadedLibrary(path, handle);
            NativeLibrary.Free(handle);
            findings.Add($"{path}: {versionProblem}");
        }

        string tried = findings.Count == 0 ? "  (no candidate paths)" : string.Join(Environment.NewLine, findings.Select(f => "  " + f));
        throw new NativeLibraryException(
            $"Could not load the native kernels library {NativeFileName()} (ABI major {NativeConstants.KN_VERSION_MAJOR}). Tried:{Environment.NewLine}" +
            $"{tried}{Environment.NewLine}" +
            $"Build the native library (CMake, cpp/) or set {PathVariable} to the library file or the folder holding it.",
            probed);
    }

    /// <summary>Null when the library's kn_version has the expected major; otherwise what is wrong.</summary>
    private static string? VersionProblem(IntPtr handle)
    {
        // Called through the export, not the generated binding: the binding would resolve through this
        // very locator before it has decided which library to use.
        if (!NativeLibrary.TryGetExport(handle, "kn_version", out IntPtr export))
            return "does not export kn_version (not a kernels library)";
        int version = ((delegate* unmanaged<int>)export)();
        int major = version / 10000, minor = version / 100 % 100, patch = version % 100;
        return major == NativeConstants.KN_VERSION_MAJOR
            ? null
            : $"wrong version {major}.{minor}.{patch}, expected major {NativeConstants.KN_VERSION_MAJOR}";
    }

    /// <summary>
    /// The runtime's load failure ends with the OS loader's own text (dlerror) after a generic
    /// paragraph of advice; keep only that text when it is there, so each path stays one line.
    /// </summary>
    private static string LoaderError(Exception e)
    {
        string lastLine = e.Message.TrimEnd().Split('\n')[^1].Trim();
        return lastLine.Length > 0 ? lastLine : e.Message;
    }

    private static string NativeFileName() =>
        OperatingSystem.IsWindows() ? LibraryName + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + LibraryName + ".dylib"
        : "lib" + LibraryName + ".so";
}

/// <summary>A loaded native library: the file it came from and its OS handle.</summary>
internal readonly record struct LoadedLibrary(string Path, IntPtr Handle);
