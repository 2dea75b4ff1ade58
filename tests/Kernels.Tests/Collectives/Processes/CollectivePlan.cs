namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// A list of collectives for the worker's <c>plan</c> scenario: each case's inputs (<see cref="CollectiveData.Input{T}"/>,
/// seeded by the case index) are written per rank into a temporary folder, the workers write their outputs beside
/// them. The format is described on the worker's PlanRunner.
/// </summary>
internal sealed class CollectivePlan(int size) : WorkerPlan(size, "kn-plan", "plan.txt")
{
    /// <summary>Adds a case; returns its index. <paramref name="op"/> is "-" for collectives without one. <paramref name="inputOf"/>:
    /// the index of an earlier case whose inputs this one reuses (to compare two collectives on the same data).</summary>
    internal int Add<T>(string kind, string op, bool inBuffer, int count, int root = 0, int? inputOf = null) where T : unmanaged
    {
        string type = typeof(T) == typeof(float) ? "f32" : typeof(T) == typeof(BFloat16) ? "bf16" : typeof(T) == typeof(Half) ? "f16"
            : throw new NotSupportedException(typeof(T).Name);
        int index = AddLine($"{kind} {type} {op} {(inBuffer ? "buffer" : "span")} {count} {root}");
        for (int rank = 0; rank < Size; rank++)
        {
            WriteFile($"c{index}.r{rank}.in", Input<T>(inputOf ?? index, rank, count));
        }
        return index;
    }

    internal static T[] Input<T>(int index, int rank, int count) where T : unmanaged => CollectiveData.Input<T>(rank, count, seed: index);

    internal T[] Output<T>(int index, int rank) where T : unmanaged => ReadFile<T>($"c{index}.r{rank}.out");
}
