using Kernels.Collectives;

namespace Kernels.Attention;

/// <summary>
/// One hop of a ring: send a block to the next rank and receive the previous rank's block, queued on the communicator's
/// worker thread so the caller computes meanwhile.
/// </summary>
/// <remarks>
/// Send is synchronous (it returns once the receiver has copied everything), so if every rank sent first the ring would
/// deadlock. Even ranks send first and odd ranks receive first: rank 1 always receives first, which frees rank 0's
/// send, and the ring unwinds from there for any size &gt;= 2.
/// </remarks>
internal static class RingExchange
{
    internal static Task Start<T>(Communicator communicator, T[] outgoing, T[] incoming) where T : unmanaged
    {
        int next = (communicator.Rank + 1) % communicator.Size;
        int previous = (communicator.Rank + communicator.Size - 1) % communicator.Size;
        ValueTask first, second;
        if (communicator.Rank % 2 == 0)
        {
            first = communicator.SendAsync<T>(outgoing, next);
            second = communicator.RecvAsync<T>(incoming, previous);
        }
        else
        {
            first = communicator.RecvAsync<T>(incoming, previous);
            second = communicator.SendAsync<T>(outgoing, next);
        }
        return Task.WhenAll(first.AsTask(), second.AsTask());
    }

    /// <summary>Waits for a hop, rethrowing the communicator's own exception rather than an AggregateException.</summary>
    internal static void Complete(Task? exchange) => exchange?.GetAwaiter().GetResult();
}
