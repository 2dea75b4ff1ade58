using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Kernels.Cuda;

/// <summary>Resources of one kernel as <c>ptxas -v</c> reports them.</summary>
/// <param name="MangledName">The entry function's lowered (mangled) name.</param>
/// <param name="Registers">Registers per thread.</param>
/// <param name="StaticSharedBytes">Static shared memory per block.</param>
/// <param name="StackFrameBytes">Stack frame per thread.</param>
/// <param name="SpillStoreBytes">Register spill stores per thread.</param>
/// <param name="SpillLoadBytes">Register spill loads per thread.</param>
internal sealed record KernelResources(string MangledName, int Registers, int StaticSharedBytes, int StackFrameBytes, int SpillStoreBytes, int SpillLoadBytes);

/// <summary>
/// Runs <c>ptxas -v</c> on PTX and parses its report: per entry function a "Compiling entry function 'X'" line, a
/// "N bytes stack frame, N bytes spill stores, N bytes spill loads" line and a "Used N registers, ... N bytes smem ..." line.
/// Used by the compile-check tests and the benchmark report's resource table, never at run time.
/// </summary>
internal static partial class PtxasResources
{
    [GeneratedRegex(@"Compiling entry function '(?<name>[^']+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<stores>\d+) bytes spill stores, (?<loads>\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (?<registers>\d+) registers(?:.*?(?<smem>\d+) bytes smem)?")]
    private static partial Regex UsageLine();

    /// <summary>ptxas from $CUDA_PATH/bin, $CUDA_HOME/bin, /usr/local/cuda/bin or PATH; null when there is none.</summary>
    public static string? Locate()
    {
        var folders = new[] { Environment.GetEnvironmentVariable("CUDA_PATH"), Environment.GetEnvironmentVariable("CUDA_HOME") }
            .Where(root => !string.IsNullOrEmpty(root)).Select(root => Path.Combine(root!, "bin"))
            .Append("/usr/local/cuda/bin")
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return folders.Select(folder => Path.Combine(folder, "ptxas")).FirstOrDefault(File.Exists);
    }

    /// <summary>Assembles <paramref name="ptx"/> (NVRTC output, NUL-terminated or not) with the <paramref name="ptxas"/> executable for <paramref name="realArchitecture"/> with <c>ptxas -v</c> and returns its report.</summary>
    /// <exception cref="InvalidOperationException">ptxas failed; the message holds its output.</exception>
    public static string AssembleVerbose(string ptxas, byte[] ptx, CudaArchitecture realArchitecture)
    {
        string file = Path.Combine(Path.GetTempPath(), $"kernels-{Guid.NewGuid():N}.ptx");
        File.WriteAllBytes(file, ptx.AsSpan().TrimEnd((byte)0).ToArray());
        try
        {
            var start = new ProcessStartInfo(ptxas, ["-v", $"-arch={realArchitecture.Name}", file, "-o", "/dev/null"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            string report = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"ptxas failed for {realArchitecture}:{Environment.NewLine}{report}{output.Result}");
            return report;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The kernels of a <c>ptxas -v</c> report, in report order.</summary>
    public static IReadOnlyList<KernelResources> Parse(string report)
    {
        var kernels = new List<KernelResources>();
        string? name = null;
        int stack = 0, stores = 0, loads = 0;
        foreach (string line in report.Split('\n'))
        {
            Match m;
            if ((m = EntryLine().Match(line)).Success)
            {
                name = m.Groups["name"].Value;
                (stack, stores, loads) = (0, 0, 0);
            }
            else if (name != null && (m = FrameLine().Match(line)).Success)
            {
                (stack, stores, loads) = (int.Parse(m.Groups["stack"].Value), int.Parse(m.Groups["stores"].Value), int.Parse(m.Groups["loads"].Value));
            }
            else if (name != null && (m = UsageLine().Match(line)).Success)
            {
                int smem = m.Groups["smem"].Success ? int.Parse(m.Groups["smem"].Value) : 0;
                kernels.Add(new KernelResources(name, int.Parse(m.Groups["registers"].Value), smem, stack, stores, loads));
                name = null;
            }
        }
        return kernels;
    }
}
