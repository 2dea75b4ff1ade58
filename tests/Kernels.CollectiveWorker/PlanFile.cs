using System.Runtime.InteropServices;
using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>
/// What the plan runners share: a plan file written by a test (one case a line, fields separated by spaces) run line by
/// line on one communicator from the environment, and case files of raw little-endian elements.
/// </summary>
internal static class PlanFile
{
    /// <summary>Runs <paramref name="runLine"/> on every line of <paramref name="fileName"/> in order (its index and fields);
    /// reports how many <paramref name="cases"/> ran; returns the exit code 0.</summary>
    internal static int RunLines(string directory, string fileName, string cases, Action<Communicator, int, string[]> runLine)
    {
        using Communicator communicator = Communicator.FromEnvironment(WorkerOptions.Small);
        string[] lines = File.ReadAllLines(Path.Combine(directory, fileName));
        for (int index = 0; index < lines.Length; index++)
        {
            runLine(communicator, index, lines[index].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        Console.WriteLine($"ran {lines.Length} {cases}");
        return 0;
    }

    internal static T[] Read<T>(string path) where T : unmanaged => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(path)).ToArray();

    internal static void Write<T>(string path, ReadOnlySpan<T> values) where T : unmanaged =>
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(values).ToArray());
}
