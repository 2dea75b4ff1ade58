namespace Kernels.Collectives;

/// <summary>(index, value) pairs of a sparse vector, as returned by the sparse collectives.</summary>
/// <param name="Indices">Indices into the index space; see each collective for order and uniqueness.</param>
/// <param name="Values">One value per index.</param>
public sealed record SparseEntries<T>(int[] Indices, T[] Values) where T : unmanaged
{
    /// <summary>Number of entries.</summary>
    public int Count => Indices.Length;
}
