using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>
    /// Sends <paramref name="data"/> to <paramref name="peer"/>, whose matching <see cref="Recv{T}(Span{T}, int, CancellationToken)"/>
    /// must name this rank. Returns once the receiver has copied everything out (synchronous mode): two ranks must not
    /// both Send to each other first. Messages between a pair arrive in order; Send/Recv are not ordered against collectives
    /// on other ranks, so do not interleave them with collectives that involve the same peers differently on each side.
    /// </summary>
    /// <param name="data">The message; any unmanaged element type.</param>
    /// <param name="peer">The receiving rank, not this one.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been posted this faults the communicator.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="peer"/> is not a rank.</exception>
    /// <exception cref="ArgumentException"><paramref name="peer"/> is this rank.</exception>
    /// <exception cref="CollectiveMismatchException">The receiver expects another count or element type (both sides throw).</exception>
    /// <exception cref="CollectiveTimeoutException">The receiver did not take the message within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">The receiver disposed its communicator or failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public unsafe void Send<T>(ReadOnlySpan<T> data, int peer, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckPeer<T>(peer);
        fixed (T* source = data)
        {
            byte* bytes = (byte*)source;
            int count = data.Length;
            Execute($"Send to rank {peer}", false, cancellationToken,
                call => RunSend<T>(call, peer, bytes, count));
        }
    }

    /// <summary>Receives into <paramref name="data"/> the message <paramref name="peer"/> sends to this rank.</summary>
    /// <param name="data">Exactly the sender's element count and type.</param>
    /// <param name="peer">The sending rank, not this one.</param>
    /// <param name="cancellationToken">Cancels waiting; once a chunk has been taken this faults the communicator.</param>
    /// <exception cref="CollectiveMismatchException">The sender sent another count or element type; <paramref name="data"/> is untouched.</exception>
    /// <inheritdoc cref="Send{T}(ReadOnlySpan{T}, int, CancellationToken)"/>
    public unsafe void Recv<T>(Span<T> data, int peer, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckPeer<T>(peer);
        fixed (T* destination = data)
        {
            byte* bytes = (byte*)destination;
            int count = data.Length;
            Execute($"Recv from rank {peer}", false, cancellationToken,
                call => RunReceive<T>(call, peer, bytes, count));
        }
    }

    /// <summary>Queues a send; see <see cref="Send{T}(ReadOnlySpan{T}, int, CancellationToken)"/>.</summary>
    public unsafe ValueTask SendAsync<T>(ReadOnlyMemory<T> data, int peer, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckPeer<T>(peer);
        return Enqueue($"Send to rank {peer}", false, cancellationToken, call =>
        {
            using System.Buffers.MemoryHandle source = data.Pin();
            RunSend<T>(call, peer, (byte*)source.Pointer, data.Length);
        });
    }

    /// <summary>Queues a receive; see <see cref="Recv{T}(Span{T}, int, CancellationToken)"/>.</summary>
    public unsafe ValueTask RecvAsync<T>(Memory<T> data, int peer, CancellationToken cancellationToken = default) where T : unmanaged
    {
        CheckPeer<T>(peer);
        return Enqueue($"Recv from rank {peer}", false, cancellationToken, call =>
        {
            using System.Buffers.MemoryHandle destination = data.Pin();
            RunReceive<T>(call, peer, (byte*)destination.Pointer, data.Length);
        });
    }

    private void CheckPeer<T>(int peer) where T : unmanaged
    {
        CheckElementFits<T>();
        CheckRank(peer, nameof(peer));
        if (peer == Rank)
        {
            throw new ArgumentException($"peer {peer} is this rank; Send/Recv need another rank.", nameof(peer));
        }
    }
}
