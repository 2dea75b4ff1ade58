using System.Runtime.InteropServices;

namespace Kernels.Cuda;

/// <summary>
/// The optional CUDA libraries behind the <c>[DllImport("cuda")]</c>, <c>[DllImport("nvrtc")]</c> and <c>[DllImport("nccl")]</c> bindings
/// (bindings/cuda/*.h). The assembly's single resolver (<see cref="Kernels.Interop.NativeLibraryLocator"/>) hands out these
/// handles; code in Kernels.Cuda calls <see cref="RequireDriver"/>, <see cref="RequireNvrtc"/> or <see cref="RequireNccl"/> before its first
/// native call, so a missing library is a <see cref="CudaUnavailableException"/>, never a DllNotFoundException.
/// </summary>
internal static class CudaLibraries
{
    internal const string DriverLibraryName = "cuda";
    internal const string NvrtcLibraryName = "nvrtc";
    internal const string NcclLibraryName = "nccl";

    /// <summary>The driver's soname, installed with the NVIDIA driver.</summary>
    internal static readonly string[] DriverFiles = ["libcuda.so.1"];

    /// <summary>NVRTC sonames, newest first: 13 and 12 name their major; the 11.x series kept the 11.2 soname.</summary>
    internal static readonly string[] NvrtcFiles = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"];

    /// <summary>NCCL's soname: the 2.x series has kept its ABI under .so.2.</summary>
    internal static readonly string[] NcclFiles = ["libnccl.so.2"];

    private static readonly Lazy<OptionalLibrary> DriverLibrary = new(() => OptionalLibrary.Probe(DriverFiles));
    private static readonly Lazy<OptionalLibrary> NvrtcLibrary = new(() => OptionalLibrary.Probe(NvrtcFiles));
    private static readonly Lazy<OptionalLibrary> NcclLibrary = new(() => OptionalLibrary.Probe(NcclFiles));

    internal static OptionalLibrary Driver => DriverLibrary.Value;
    internal static OptionalLibrary Nccl => NcclLibrary.Value;
    internal static OptionalLibrary Nvrtc => NvrtcLibrary.Value;

    internal static void RequireDriver()
    {
        if (!Driver.IsLoaded)
            throw new CudaUnavailableException(CudaComponent.Driver, $"no driver: {Driver.Description}");
    }

    internal static void RequireNvrtc()
    {
        if (!Nvrtc.IsLoaded)
            throw new CudaUnavailableException(CudaComponent.Nvrtc,
                $"no NVRTC: {Nvrtc.Description} (Debian: libnvrtc11.2 and libnvrtc-builtins11.8 from contrib/non-free; ./build.sh deps installs them)");
    }

    internal static void RequireNccl()
    {
        if (!Nccl.IsLoaded)
            throw new CudaUnavailableException(CudaComponent.Nccl,
                $"no NCCL: {Nccl.Description} (NCCL is optional; install libnccl2 from NVIDIA's repository to use NcclCommunicator)");
    }
}

/// <summary>A library loaded by the OS loader's search (soname), or the record of every name that failed.</summary>
internal sealed record OptionalLibrary(string? File, IntPtr Handle, string Description)
{
    internal bool IsLoaded => Handle != IntPtr.Zero;

    /// <summary>Loads the first of <paramref name="fileNames"/> the OS loader finds.</summary>
    internal static OptionalLibrary Probe(IEnumerable<string> fileNames)
    {
        var tried = new List<string>();
        foreach (string file in fileNames)
        {
            if (NativeLibrary.TryLoad(file, out IntPtr handle))
                return new OptionalLibrary(file, handle, $"loaded {file}");
            tried.Add(file);
        }
        return new OptionalLibrary(null, IntPtr.Zero, $"none of {string.Join(", ", tried)} could be loaded");
    }
}
