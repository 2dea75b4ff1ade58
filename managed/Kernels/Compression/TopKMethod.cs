namespace Kernels.Compression;

/// <summary>How <see cref="TopK"/> finds the largest magnitudes.</summary>
public enum TopKMethod
{
    /// <summary>Exactly the k largest |x|, ties broken by the lower index (radix select, O(n), no sort).</summary>
    Exact,

    /// <summary>
    /// Deep Gradient Compression's estimate: a threshold from a random sample, then every |x| at or above it
    /// (about k elements, sometimes more or fewer; never more than the capacity, else the exact top-k).
    /// </summary>
    SampledThreshold,
}
