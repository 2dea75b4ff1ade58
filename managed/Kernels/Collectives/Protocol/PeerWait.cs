using System.Diagnostics;
using System.Numerics;

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
    /// Waits until the 64-bit counter at <paramref name="counterOffset"/> in the header of every rank in
    /// <paramref name="ranks"/> (a bit mask) is at least <paramref name="target"/>. Returns false instead when
    /// <paramref name="rejectionOffset"/> is given and some pending rank has set that counter to exactly <paramref name="target"/>.
    /// </summary>
    internal static bool Until(RankEndpoint endpoint, ulong ranks, int counterOffset, ulong target, WaitCause cause,
        CancellationToken cancellation, CancellationToken disposal, int rejectionOffset = -1)
    {
        ulong pending = ranks;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(endpoint.Timeout.TotalSeconds * Stopwatch.Frequency);
        long nextHeartbeat = start + HeartbeatTicks;
        var backoff = new Backoff();
        while (true)
        {
            for (ulong scan = pending; scan != 0; scan &= scan - 1)
            {
                int rank = BitOperations.TrailingZeroCount(scan);
                byte* header = (byte*)endpoint.Header(rank);
                if (Volatile.Read(ref *(ulong*)(header + counterOffset)) >= target)
                {
                    pending &= ~(1UL << rank);
                }
                else if (rejectionOffset >= 0 && Volatile.Read(ref *(ulong*)(header + rejectionOffset)) == target)
                {
                    return false;
                }
            }
            if (pending == 0)
            {
                return true;
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
