namespace Kernels.Perf.Collectives;

/// <summary>
/// The native peers' input pattern (perf/native/peers/test_values.h): small integers, so sums are exact in f32 and a
/// result is checked element by element; the value depends on the global index and the rank.
/// </summary>
internal static class TestValues
{
    public static float Value(int rank, long index) => (rank + 1) * (int)(index % 13 + 1);

    public static float ExpectedSum(int ranks, long index) => ranks * (ranks + 1) / 2 * (int)(index % 13 + 1);
}
