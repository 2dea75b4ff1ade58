namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Picks the all-reduce algorithm: a forced one (options, then <c>KN_ALGO</c>), else the cheapest by a
/// latency/bandwidth model of the shared-memory transport.
/// </summary>
/// <remarks>
/// A model of one rank's time for S bytes over n ranks. A synchronisation costs <see cref="StepSeconds"/> plus
/// <see cref="PeerSeconds"/> per peer waited on; bytes moved by memcpy cost 1/<see cref="CopyBytesPerSecond"/>, bytes
/// read or written by reduce/convert kernels 1/<see cref="ReduceBytesPerSecond"/> (in-process runs at 2 ranks on this
/// machine class: the reduction, not the copying, dominates; one-shot and two-shot cross near 4-8 KiB).
/// One-shot: 1 all-peer sync, copy 2S, reduce (n+1)S. Two-shot on spans: 2 syncs, copy 2S(n-1)/n in (peers'
/// pieces only) and 2S out, reduce S + S/n; on <see cref="CommunicatorBuffer{T}"/>s: 3 syncs, copy 2S(n-1)/n, reduce S + S/n. Halving/doubling with
/// w = 4/element size (fp32 partials) and p the largest power of two &lt;= n: 1 all-peer and 2 log2 p partner syncs
/// (+2 when folding), reduce S + wS in, 3wS(p-1)/p halving, wS + S out (+3wS folding), copy 2wS(p-1)/p doubling.
/// The benchmark suite measures the real crossovers; on shared memory halving/doubling rarely wins.
/// </remarks>
internal static class AlgorithmChoice
{
    internal const double StepSeconds = 0.5e-6;
    internal const double PeerSeconds = 0.4e-6;
    internal const double CopyBytesPerSecond = 40e9;
    internal const double ReduceBytesPerSecond = 10e9;

    internal static CollectiveAlgorithm Choose(long bytes, int elementSize, int size, bool onBuffers, CollectiveAlgorithm forced)
    {
        if (forced != CollectiveAlgorithm.Auto)
        {
            return forced;
        }
        if (size == 1)
        {
            return CollectiveAlgorithm.OneShot;
        }
        double s = bytes, n = size;
        double allPeerSync = StepSeconds + PeerSeconds * (size - 1);
        double partnerSync = StepSeconds + PeerSeconds;
        double oneShot = allPeerSync + 2 * s / CopyBytesPerSecond + (n + 1) * s / ReduceBytesPerSecond;
        double twoShot = onBuffers
            ? 3 * allPeerSync + 2 * s * (n - 1) / n / CopyBytesPerSecond + (s + s / n) / ReduceBytesPerSecond
            : 2 * allPeerSync + (2 * s * (n - 1) / n + 2 * s) / CopyBytesPerSecond + (s + s / n) / ReduceBytesPerSecond;
        int powerOfTwo = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size + 1) / 2;
        int levels = System.Numerics.BitOperations.Log2((uint)powerOfTwo);
        bool folds = size > powerOfTwo;
        double w = 4.0 / elementSize, paired = (powerOfTwo - 1.0) / powerOfTwo;
        double halvingDoubling = allPeerSync + (2 * levels + (folds ? 2 : 0)) * partnerSync
            + (2 * s + 2 * w * s + 3 * w * s * paired + (folds ? 3 * w * s : 0)) / ReduceBytesPerSecond
            + 2 * w * s * paired / CopyBytesPerSecond;
        if (oneShot <= twoShot && oneShot <= halvingDoubling)
        {
            return CollectiveAlgorithm.OneShot;
        }
        return twoShot <= halvingDoubling ? CollectiveAlgorithm.TwoShot : CollectiveAlgorithm.RecursiveHalvingDoubling;
    }

    /// <summary>Parses a <c>KN_ALGO</c> value: oneshot, twoshot, ring or rhd; empty means none.</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    internal static CollectiveAlgorithm Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => CollectiveAlgorithm.Auto,
        "oneshot" => CollectiveAlgorithm.OneShot,
        "twoshot" => CollectiveAlgorithm.TwoShot,
        "ring" => CollectiveAlgorithm.Ring,
        "rhd" => CollectiveAlgorithm.RecursiveHalvingDoubling,
        _ => throw new ArgumentException($"KN_ALGO={value} is not one of oneshot, twoshot, ring, rhd, auto."),
    };
}
