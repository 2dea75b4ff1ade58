using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The CUDA tools the compile checks need. Missing NVRTC or ptxas fails the test with the install hint: CI
/// installs both (./build.sh deps), so their absence is a broken setup, not a reason to skip.
/// </summary>
internal static class CudaToolchain
{
    private const string InstallHint = "run ./build.sh deps (Debian contrib/non-free: nvidia-cuda-toolkit libnvrtc11.2 libnvrtc-builtins11.8)";

    internal static void RequireNvrtc()
    {
        try
        {
            _ = NvrtcCompiler.NvrtcVersion;
        }
        catch (CudaUnavailableException e)
        {
            Assert.Fail($"{e.Message}; {InstallHint}");
        }
    }

    /// <summary>ptxas from $CUDA_PATH/bin, /usr/local/cuda/bin or PATH.</summary>
    internal static string Ptxas()
    {
        string? found = PtxasResources.Locate();
        if (found == null)
            Assert.Fail($"ptxas not found on CUDA_PATH, /usr/local/cuda/bin or PATH; {InstallHint}");
        return found!;
    }

    /// <summary>Runs <c>ptxas -v -arch=sm_XY</c> on PTX and returns its report (stderr), failing the test on a non-zero exit.</summary>
    internal static string AssembleVerbose(byte[] ptx, CudaArchitecture realArchitecture)
    {
        try
        {
            return PtxasResources.AssembleVerbose(Ptxas(), ptx, realArchitecture);
        }
        catch (InvalidOperationException e)
        {
            Assert.Fail(e.Message);
            throw;
        }
    }
}
