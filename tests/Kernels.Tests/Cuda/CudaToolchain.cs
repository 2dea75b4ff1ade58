using System.Diagnostics;
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
        var folders = new[] { Environment.GetEnvironmentVariable("CUDA_PATH"), Environment.GetEnvironmentVariable("CUDA_HOME") }
            .Where(root => !string.IsNullOrEmpty(root)).Select(root => Path.Combine(root!, "bin"))
            .Append("/usr/local/cuda/bin")
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        string? found = folders.Select(folder => Path.Combine(folder, "ptxas")).FirstOrDefault(File.Exists);
        if (found == null)
            Assert.Fail($"ptxas not found on CUDA_PATH, /usr/local/cuda/bin or PATH; {InstallHint}");
        return found!;
    }

    /// <summary>Runs <c>ptxas -v -arch=sm_XY</c> on PTX and returns its report (stderr), failing the test on a non-zero exit.</summary>
    internal static string AssembleVerbose(byte[] ptx, CudaArchitecture realArchitecture)
    {
        string file = Path.Combine(Path.GetTempPath(), $"kernels-{Guid.NewGuid():N}.ptx");
        File.WriteAllBytes(file, ptx.AsSpan().TrimEnd((byte)0).ToArray());
        try
        {
            var start = new ProcessStartInfo(Ptxas(), ["-v", $"-arch={realArchitecture.Name}", file, "-o", "/dev/null"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            string report = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.That(process.ExitCode, Is.Zero, $"ptxas failed for {realArchitecture}:{Environment.NewLine}{report}{output.Result}");
            return report;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
