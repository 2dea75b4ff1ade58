using System.Runtime.InteropServices;
using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// Initialises the driver once per process and turns CUresult codes into exceptions. "No driver" (library
/// missing or cuInit failing) and "no device" become <see cref="CudaUnavailableException"/>; every later failure
/// is an <see cref="InvalidOperationException"/> naming the call and the driver's error name and text.
/// </summary>
internal static unsafe class CudaDriver
{
    private static readonly Lazy<CUresult> InitResult = new(() => CudaDriverMethods.cuInit(0));

    /// <summary>Loads and initialises the driver, or throws saying which piece is missing.</summary>
    internal static void EnsureInitialized()
    {
        CudaLibraries.RequireDriver();
        CUresult result = InitResult.Value;
        if (result == CUresult.CUDA_ERROR_NO_DEVICE)
            throw new CudaUnavailableException(CudaComponent.Device, $"no device: cuInit reported {Describe(result)}");
        if (result != CUresult.CUDA_SUCCESS)
            throw new CudaUnavailableException(CudaComponent.Driver, $"no driver: cuInit failed with {Describe(result)}");
    }

    internal static void Check(CUresult result, string call)
    {
        if (result != CUresult.CUDA_SUCCESS)
            throw new InvalidOperationException($"{call} failed: {Describe(result)}");
    }

    /// <summary>"CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", from the driver's own tables.</summary>
    internal static string Describe(CUresult result)
    {
        byte* name = null, text = null;
        CudaDriverMethods.cuGetErrorName(result, &name);
        CudaDriverMethods.cuGetErrorString(result, &text);
        string spelled = name != null ? Marshal.PtrToStringUTF8((IntPtr)name)! : $"CUresult {(int)result}";
        return text != null ? $"{spelled} ({Marshal.PtrToStringUTF8((IntPtr)text)})" : spelled;
    }
}
