namespace Kernels.Tests.Support;

/// <summary>Deterministic test data: every value is exactly representable in <typeparamref name="T"/>.</summary>
internal static class Samples
{
    /// <summary>Odd lengths that exercise vector bodies, tails and the single-element case.</summary>
    internal static readonly int[] OddLengths = [1, 7, 97, 1025, 6 * 512 + 7];

    internal static T[] Uniform<T>(int length, int seed, float low = -4f, float high = 4f) where T : unmanaged
    {
        var random = new Random(seed);
        var values = new T[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Values.From<T>(low + (float)random.NextDouble() * (high - low));
        }
        return values;
    }

    internal static T[] Filled<T>(int length, float value) where T : unmanaged
    {
        var values = new T[length];
        Array.Fill(values, Values.From<T>(value));
        return values;
    }
}
