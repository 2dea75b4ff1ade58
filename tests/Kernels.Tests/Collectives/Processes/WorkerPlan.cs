using System.Runtime.InteropServices;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// Base of the case lists handed to a collective worker scenario: a temporary folder (deleted on dispose) holding the plan
/// file, one case a line, and the cases' raw little-endian files, the test's inputs and the workers' outputs.
/// </summary>
internal abstract class WorkerPlan : IDisposable
{
    private readonly List<string> _lines = [];
    private readonly string _planFile;

    protected WorkerPlan(int size, string folderPrefix, string planFile)
    {
        Size = size;
        _planFile = planFile;
        Directory = Path.Combine(Path.GetTempPath(), $"{folderPrefix}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
    }

    internal int Size { get; }
    internal string Directory { get; }
    internal IReadOnlyList<string> Lines => _lines;

    /// <summary>Writes the plan file; call after the last case is added.</summary>
    internal void Write() => File.WriteAllLines(Path.Combine(Directory, _planFile), _lines);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>Appends a case line; returns the case's index.</summary>
    protected int AddLine(string line)
    {
        _lines.Add(line);
        return _lines.Count - 1;
    }

    protected void WriteFile<T>(string name, T[] values) where T : unmanaged =>
        File.WriteAllBytes(Path.Combine(Directory, name), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    protected T[] ReadFile<T>(string name) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(Directory, name))).ToArray();
}
