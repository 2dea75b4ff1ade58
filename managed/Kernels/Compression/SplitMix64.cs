namespace Kernels.Compression;

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): a counter-based generator whose whole state is one counter, so it saves trivially.</summary>
internal static class SplitMix64
{
    /// <summary>The SplitMix64 output for counter value <paramref name="x"/>.</summary>
    internal static ulong Mix(ulong x)
    {
        ulong z = x + 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }

    /// <summary>A standard normal sample from counter values 2i and 2i + 1 (Box-Muller, in double).</summary>
    internal static float Normal(ulong seed, long i)
    {
        double u1 = ((Mix(seed + 2 * (ulong)i) >> 11) + 1.0) / 9007199254740993.0; // (0, 1]
        double u2 = (Mix(seed + 2 * (ulong)i + 1) >> 11) / 9007199254740992.0;      // [0, 1)
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
