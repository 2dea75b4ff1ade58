using System.Text.RegularExpressions;

namespace Kernels.Tests.Cuda;

/// <summary>Resources of one kernel as ptxas -v reports them.</summary>
internal sealed record KernelResources(string MangledName, int Registers, int StaticSharedBytes, int StackFrameBytes, int SpillStoreBytes, int SpillLoadBytes);

/// <summary>
/// Parses <c>ptxas -v</c> output: per entry function a "Compiling entry function 'X'" line, a "N bytes stack frame,
/// N bytes spill stores, N bytes spill loads" line and a "Used N registers, ... N bytes smem ..." line.
/// </summary>
internal static partial class PtxasReport
{
    [GeneratedRegex(@"Compiling entry function '(?<name>[^']+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<stores>\d+) bytes spill stores, (?<loads>\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (?<registers>\d+) registers(?:.*?(?<smem>\d+) bytes smem)?")]
    private static partial Regex UsageLine();

    internal static IReadOnlyList<KernelResources> Parse(string report)
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
