namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Sums (index, value) entries over a range of the index space in fp32, in the order given (rank order, then each rank's
/// entry order, so every rank and every run gets the same bits), rounding once at the end. Every index is checked
/// against the range before anything is written.
/// </summary>
internal sealed class SparseAccumulator
{
    private readonly float[] _sums;
    private readonly bool[] _touched;
    private readonly long _start;

    /// <summary>Accumulates over [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    internal SparseAccumulator(long start, int length)
    {
        _start = start;
        _sums = new float[length];
        _touched = new bool[length];
    }

    /// <summary>
    /// Adds one rank's entries. Throws <see cref="CollectiveDataException"/> naming <paramref name="sourceRank"/> if any index is
    /// outside the range; nothing is added then.
    /// </summary>
    internal void Add<T>(string operation, int sourceRank, ReadOnlySpan<int> indices, ReadOnlySpan<T> values) where T : unmanaged
    {
        for (int i = 0; i < indices.Length; i++)
        {
            long offset = indices[i] - _start;
            if ((ulong)offset >= (ulong)_sums.Length)
            {
                throw new CollectiveDataException(operation, sourceRank,
                    $"index {indices[i]} at entry {i} is outside [{_start}, {_start + _sums.Length})");
            }
        }
        float[] widened = new float[values.Length];
        Conversion.Convert(values, widened.AsSpan());
        for (int i = 0; i < indices.Length; i++)
        {
            long offset = indices[i] - _start;
            _sums[offset] += widened[i];
            _touched[offset] = true;
        }
    }

    /// <summary>Writes the sums, rounded once, to <paramref name="dense"/> (untouched positions become zero).</summary>
    internal void WriteDense<T>(Span<T> dense) where T : unmanaged => Conversion.Convert<float, T>(_sums, dense);

    /// <summary>The touched indices in ascending order with their sums rounded once.</summary>
    internal SparseEntries<T> ToEntries<T>() where T : unmanaged
    {
        var indices = new List<int>();
        var sums = new List<float>();
        for (int offset = 0; offset < _sums.Length; offset++)
        {
            if (_touched[offset])
            {
                indices.Add((int)(_start + offset));
                sums.Add(_sums[offset]);
            }
        }
        var values = new T[sums.Count];
        Conversion.Convert<float, T>(sums.ToArray(), values);
        return new SparseEntries<T>(indices.ToArray(), values);
    }
}
