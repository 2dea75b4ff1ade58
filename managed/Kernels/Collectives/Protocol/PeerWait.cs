using System.Diagnostics;
using System.Numerics;
using Kernels.Collectives.Transport;

namespace Kernels.Collectives.Protocol;

/// <summary>
/// Waits for counters in peers' headers, with the communicator's deadline, cancellation and loss detection. Every
/// wait of the runtime goes through here, so none can hang: it ends with the value reached, a
/// <see cref="PeerLostException"/> as soon as a pending peer is seen gone, an <see cref="OperationCanceledException"/>,
/// or a <see cref="CollectiveTimeoutException"/> naming the ranks still missing.
/// </summary>
internal static unsafe class PeerWait
{
    private static readonly long HeartbeatTicks = Stopwatch.Frequency / 10;

    /// <summary>
    /// Looks at the counters in a tight loop before the checked loop starts: a peer on another core usually answers
    /// within these few hundred nanoseconds, and each turn of the checked loop (two clock reads, loss, cancellation,
    /// deadline, heartbeat) takes ~150 ns on this VM, by which much later a waiter could see the peer's step. No pause
    /// between looks: with <c>Thread.SpinWait(1)</c> there (a run of PAUSE instructions, which a KVM guest may exit on)
    /// an 8-byte all-reduce over 2 processes under the launcher took 0.74-0.80 µs in six jobs, and 0.28-0.29 µs in six
    /// jobs right after without it (under mpirun .NET sees one processor and SpinWait does not pause: 0.27-0.29 µs either
    /// way). Never longer than a microsecond or two, so no wait goes unchecked for long.
    /// </summary>
    private const int FirstLooks = 64;

    /// <summary>
    /// Waits until the 64-bit counter at <paramref name="counterOffset"/> in the header of every rank in
    /// <paramref name="ranks"/> (a bit mask) is at least <paramref name="target"/>. Returns false instead when
    /// <paramref name="rejectionOffset"/> is given and some pending rank has set that counter to exactly <paramref name="target"/>.
    /// </summary>
    internal static bool Until(RankEndpoint endpoint, ulong ranks, int counterOffset, ulong target, WaitCause cause,
        CancellationToken cancellation, CancellationToken disposal, int rejectionOffset = -1)
    {
        // Progress counters only grow: a rank already seen at or past the target needs no second look (the acquire read
        // that saw it ordered everything the rank wrote before it), which spares a cross-core cache-line transfer per
        // collective when a slot is reused (its release step is older than the arrival the last collective saw).
        ulong[]? seen = counterOffset == RegionHeader.ProgressOffset ? endpoint.SeenProgress : null;
        ulong pending = seen is null ? ranks : NotYetSeen(seen, ranks, target);
        if (pending == 0)
        {
            return true;
        }
        if (rejectionOffset < 0)
        {
            for (int look = 0; look < FirstLooks; look++)
            {
                pending = StillPending(endpoint, pending, counterOffset, target, seen);
                if (pending == 0)
                {
                    return true;
                }
            }
        }
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(endpoint.Timeout.TotalSeconds * Stopwatch.Frequency);
        long nextHeartbeat = start + HeartbeatTicks;
        var backoff = new Backoff();
        while (true)
        {
            pending = StillPending(endpoint, pending, counterOffset, target, seen);
            if (pending == 0)
            {
                return true;
            }
            if (rejectionOffset >= 0 && AnyAt(endpoint, pending, rejectionOffset, target))
            {
                return false;
            }

            // Progress first, then loss: a peer that finished its part and then closed is not lost to us.
            ThrowIfLost(endpoint, pending, counterOffset, target, cause);
            disposal.ThrowIfCancellationRequested();
            cancellation.ThrowIfCancellationRequested();
            long now = Stopwatch.GetTimestamp();
            if (now > deadline)
            {
                throw new CollectiveTimeoutException(cause.ToString(), RanksOf(pending), endpoint.Timeout);
            }
            if (now > nextHeartbeat)
            {
                Volatile.Write(ref endpoint.Header(endpoint.Rank)->HeartbeatMilliseconds, Environment.TickCount64);
                nextHeartbeat = now + HeartbeatTicks;
            }
            backoff.Pause();
        }
    }

    /// <summary>
    /// The ranks of <paramref name="pending"/> whose counter has not reached <paramref name="target"/>; records the values
    /// read in <paramref name="seen"/> when given.
    /// </summary>
    private static ulong StillPending(RankEndpoint endpoint, ulong pending, int counterOffset, ulong target, ulong[]? seen)
    {
        for (ulong scan = pending; scan != 0; scan &= scan - 1)
        {
            int rank = BitOperations.TrailingZeroCount(scan);
            ulong value = Volatile.Read(ref *(ulong*)((byte*)endpoint.Header(rank) + counterOffset));
            if (value >= target)
            {
                pending &= ~(1UL << rank);
                if (seen is not null)
                {
                    seen[rank] = value;
                }
            }
        }
        return pending;
    }

    /// <summary>The ranks of <paramref name="ranks"/> not yet seen at or past <paramref name="target"/>.</summary>
    private static ulong NotYetSeen(ulong[] seen, ulong ranks, ulong target)
    {
        for (ulong scan = ranks; scan != 0; scan &= scan - 1)
        {
            int rank = BitOperations.TrailingZeroCount(scan);
            if (seen[rank] >= target)
            {
                ranks &= ~(1UL << rank);
            }
        }
        return ranks;
    }

    /// <summary>Whether some rank of <paramref name="ranks"/> has set the counter at <paramref name="offset"/> to exactly <paramref name="value"/>.</summary>
    private static bool AnyAt(RankEndpoint endpoint, ulong ranks, int offset, ulong value)
    {
        for (ulong scan = ranks; scan != 0; scan &= scan - 1)
        {
            int rank = BitOperations.TrailingZeroCount(scan);
            if (Volatile.Read(ref *(ulong*)((byte*)endpoint.Header(rank) + offset)) == value)
            {
                return true;
            }
        }
        return false;
    }

    private static void ThrowIfLost(RankEndpoint endpoint, ulong pending, int counterOffset, ulong target, WaitCause cause)
    {
        List<int>? lost = null;
        List<string>? reasons = null;
        for (ulong scan = pending; scan != 0; scan &= scan - 1)
        {
            int rank = BitOperations.TrailingZeroCount(scan);
            // Re-read the counter after the loss check: between the progress scan and IsLost the peer may have
            // reached the target, finished and exited (its mapping stays readable), which is not a loss.
            if (endpoint.Transport.IsLost(rank, out string reason)
                && Volatile.Read(ref *(ulong*)((byte*)endpoint.Header(rank) + counterOffset)) < target)
            {
                (lost ??= []).Add(rank);
                (reasons ??= []).Add(reason);
            }
        }
        if (lost is not null)
        {
            throw new PeerLostException(cause.ToString(), lost, string.Join("; ", reasons!));
        }
    }

    private static int[] RanksOf(ulong mask)
    {
        var ranks = new int[BitOperations.PopCount(mask)];
        for (int i = 0; mask != 0; mask &= mask - 1, i++)
        {
            ranks[i] = BitOperations.TrailingZeroCount(mask);
        }
        return ranks;
    }
}
