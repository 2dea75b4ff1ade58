namespace Kernels.Attention;

/// <summary>How a sequence is cut into per-rank shards for <see cref="RingAttention"/> and <see cref="UlyssesAttention"/>.</summary>
public enum SequenceLayout
{
    /// <summary>Rank r holds positions [r * n, (r + 1) * n) of a sequence of P * n.</summary>
    Contiguous,

    /// <summary>
    /// The sequence is cut into 2P equal chunks and rank r holds chunks r and 2P - 1 - r, in that order. Under a causal
    /// mask every rank then has the same number of visible (query, key) pairs, so no rank waits for another in the ring.
    /// </summary>
    Zigzag,
}
