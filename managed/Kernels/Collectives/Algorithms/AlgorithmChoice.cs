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
/// Ring (<see cref="Ring"/>): 2n-2 partner syncs plus <see cref="SliceSeconds"/> per slice and stage (m slices); on
/// spans copy (4n-2)S/n (stage 0, copy-out, forwarding) and reduce 3S(n-1)/n; on buffers copy 2S(n-1)/n, reduce
/// 3S(n-1)/n. With direct reads two-shot moves no more bytes at 2 ranks and fewer from 3 on (the ring writes and
/// re-reads a partial per stage), in fewer steps, so the model never prefers the ring on one host. What it leaves out
/// is lateness: two-shot waits out a late peer's whole phase, the ring only the slice it needs next, but under
/// oversubscription every extra dependency is also another hand-over through the scheduler. Measured over 2 processes
/// on user spans with the algorithms' launches alternated, the ring won every pair from 1 to 4 MiB at load 10-18
/// (1.14-2.7x, 9 of 9) and lost every 1 MiB pair at load 50 (0.29-0.89x, 3 of 3); undisturbed (in-process threads,
/// fastest of 7 alternated batches: collectives/allreduce_algorithms) the two are within 0.87-1.08x at 1 MiB, and at
/// 3-4 ranks on 2 cores the results scattered (0.18-2.5x). On buffers, separate jobs once showed the ring 1.3-1.4x
/// faster from 2 MiB; timed in turns in one 2-process job (load 7) the two are equal within noise (ring / two-shot
/// fastest batch 0.85-1.0x at 1 MiB, 0.98-1.06x at 2 MiB, 0.95-0.98x at 8 MiB, 0.82-1.0x at 64 MiB, 1.03-1.13x at
/// 256 MiB): the gap was the job order, not the algorithm. So the model stays as it is; the collectives benchmark
/// times two-shot and the ring forced in turns with the cost model's choice, so every report re-checks it.
/// The benchmark suite measures the real crossovers; on shared memory halving/doubling rarely wins.
/// </remarks>
internal static class AlgorithmChoice
{
    internal const double StepSeconds = 0.5e-6;
    internal const double PeerSeconds = 0.4e-6;
    internal const double CopyBytesPerSecond = 40e9;
    internal const double ReduceBytesPerSecond = 10e9;
    /// <summary>A ring slice's own cost beyond its bytes: a native call per pass, a publish and a satisfied wait (64 KiB at 2 ranks: 4 slices, +0.2..0.8 µs).</summary>
    internal const double SliceSeconds = 0.25e-6;

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
        double ringSteps = (2 * n - 2) * (partnerSync + Ring.SlicesFor(Shards.Largest(bytes / elementSize, size)) * SliceSeconds);
        double ring = onBuffers
            ? ringSteps + 2 * s * (n - 1) / n / CopyBytesPerSecond + 3 * s * (n - 1) / n / ReduceBytesPerSecond
            : ringSteps + (4 * n - 2) * s / n / CopyBytesPerSecond + 3 * s * (n - 1) / n / ReduceBytesPerSecond;
        double best = Math.Min(Math.Min(oneShot, twoShot), Math.Min(halvingDoubling, ring));
        return best == oneShot ? CollectiveAlgorithm.OneShot
            : best == twoShot ? CollectiveAlgorithm.TwoShot
            : best == halvingDoubling ? CollectiveAlgorithm.RecursiveHalvingDoubling
            : CollectiveAlgorithm.Ring;
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
