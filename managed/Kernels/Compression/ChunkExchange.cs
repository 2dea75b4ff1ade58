using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// All-to-all built from the communicator's synchronous Send/Recv: in round s = 1 .. n-1 rank r sends to r + s and receives from
/// r - s (mod n). A send returns only once received, so in each round a rank sends first when its destination is a higher rank
/// and receives first otherwise: every cycle of the round's permutation then holds a rank of each kind and cannot deadlock.
/// </summary>
internal static class ChunkExchange
{
    /// <summary>Sends <c>packets[q]</c> to every rank q and returns what every rank p sent to this one (this rank's own packet at p = Rank).</summary>
    /// <param name="communicator">This rank.</param>
    /// <param name="packets">One packet per rank, in rank order (this rank's own is returned as it is).</param>
    /// <param name="receiveLength">Elements this rank receives from each peer (the same for all: the packets of its part).</param>
    /// <param name="cancellationToken">Passed to every Send and Recv.</param>
    internal static uint[][] AllToAll(Communicator communicator, uint[][] packets, int receiveLength, CancellationToken cancellationToken)
    {
        int size = communicator.Size, rank = communicator.Rank;
        var received = new uint[size][];
        received[rank] = packets[rank];
        for (int shift = 1; shift < size; shift++)
        {
            int to = (rank + shift) % size, from = (rank - shift + size) % size;
            var incoming = new uint[receiveLength];
            if (rank < to)
            {
                communicator.Send<uint>(packets[to], to, cancellationToken);
                communicator.Recv<uint>(incoming, from, cancellationToken);
            }
            else
            {
                communicator.Recv<uint>(incoming, from, cancellationToken);
                communicator.Send<uint>(packets[to], to, cancellationToken);
            }
            received[from] = incoming;
        }
        return received;
    }
}
