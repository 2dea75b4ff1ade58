namespace Kernels.Cuda;

/// <summary>
/// Finds the folder holding the CUDA headers programs may include (<c>cuda_fp16.h</c>, <c>cuda_bf16.h</c>), so
/// NVRTC gets it as <c>-I</c> without configuration: <c>$CUDA_PATH/include</c>, <c>$CUDA_HOME/include</c>,
/// <c>/usr/local/cuda/include</c>, then <c>/usr/include</c> (Debian's nvidia-cuda-dev).
/// </summary>
internal static class CudaIncludeDirectory
{
    private const string MarkerHeader = "cuda_fp16.h";

    private static readonly Lazy<string?> Found = new(() => Candidates().FirstOrDefault(d => File.Exists(Path.Combine(d, MarkerHeader))));

    /// <summary>The first candidate holding cuda_fp16.h, or null when none does.</summary>
    internal static string? Find() => Found.Value;

    internal static IEnumerable<string> Candidates()
    {
        foreach (string variable in new[] { "CUDA_PATH", "CUDA_HOME" })
        {
            string? root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(root))
                yield return Path.Combine(root, "include");
        }
        yield return "/usr/local/cuda/include";
        yield return "/usr/include";
    }
}
