using System.Runtime.InteropServices;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// A list of collectives for the worker's <c>plan</c> scenario: each case's inputs (<see cref="CollectiveData.Input{T}"/>,
/// seeded by the case index) are written per rank into a temporary folder, the workers write their outputs beside
/// them. The format is described on the worker's PlanRunner.
/// </summary>
internal sealed class CollectivePlan : IDisposable
{
    private readonly List<string> _lines = [];

    internal CollectivePlan(int size)
    {
        Size = size;
        Directory = Path.Combine(Path.GetTempPath(), $"kn-plan-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
    }

    internal int Size { get; }
    internal string Directory { get; }
    internal IReadOnlyList<string> Lines => _lines;

    /// <summary>Adds a case; returns its index. <paramref name="op"/> is "-" for collectives without one.</summary>
    internal int Add<T>(string kind, string op, bool inBuffer, int count, int root = 0) where T : unmanaged
    {
        int index = _lines.Count;
        string type = typeof(T) == typeof(float) ? "f32" : typeof(T) == typeof(BFloat16) ? "bf16" : typeof(T) == typeof(Half) ? "f16"
            : throw new NotSupportedException(typeof(T).Name);
        _lines.Add($"{kind} {type} {op} {(inBuffer ? "buffer" : "span")} {count} {root}");
        for (int rank = 0; rank < Size; rank++)
        {
            File.WriteAllBytes(Path.Combine(Directory, $"c{index}.r{rank}.in"), MemoryMarshal.AsBytes(Input<T>(index, rank, count).AsSpan()).ToArray());
        }
        return index;
    }

    /// <summary>Writes plan.txt; call after the last <see cref="Add{T}"/>.</summary>
    internal void Write() => File.WriteAllLines(Path.Combine(Directory, "plan.txt"), _lines);

    internal static T[] Input<T>(int index, int rank, int count) where T : unmanaged => CollectiveData.Input<T>(rank, count, seed: index);

    internal T[] Output<T>(int index, int rank) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(Directory, $"c{index}.r{rank}.out"))).ToArray();

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
