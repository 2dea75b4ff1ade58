namespace Kernels.Perf.Collectives;

/// <summary>
/// The input pattern of every contender: small integers, so sums are exact in f32 and a
/// result is checked element by element; the value depends on the global index and the rank.
/// </summary>
internal static class TestValues
{
    public static float Value(int rank, long index) => (rank + 1) * (int)(index % 13 + 1);

    public static float ExpectedSum(int ranks, long index) => ranks * (ranks + 1) / 2 * (int)(index % 13 + 1);

    public static float[] Filled(int count, Func<long, float> value)
    {
        var data = new float[count];
        Fill(data, 0, value);
        return data;
    }

    /// <summary>Writes value(first + i) into element i.</summary>
    public static void Fill(Span<float> data, long first, Func<long, float> value)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = value(first + i);
        }
    }

    /// <summary>Elements that differ from expected(i).</summary>
    public static long Wrong(ReadOnlySpan<float> data, Func<long, float> expected)
    {
        long wrong = 0;
        for (int i = 0; i < data.Length; i++)
        {
            wrong += data[i] != expected(i) ? 1 : 0;
        }
        return wrong;
    }
}
