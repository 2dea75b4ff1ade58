namespace Kernels.Perf.Compression.Convergence;

/// <summary>Randomness for the experiments: SplitMix64 streams, so every run draws the same numbers on any .NET version.</summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>).</summary>
    public int Below(int bound) => (int)((Next() >> 33) * (ulong)bound >> 31);

    /// <summary>Standard normal (Box-Muller).</summary>
    public float Normal()
    {
        double u1 = ((Next() >> 11) + 1.0) / 9007199254740993.0;
        double u2 = (Next() >> 11) / 9007199254740992.0;
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>A Fisher-Yates shuffle of 0 .. n-1.</summary>
    public static int[] Permutation(int n, ulong seed)
    {
        var random = new SeededRandom(seed);
        int[] order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Below(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
