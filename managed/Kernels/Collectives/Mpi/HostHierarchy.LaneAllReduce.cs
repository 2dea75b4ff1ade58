using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>The all-reduce of one lane between hosts: one round for small lanes, else two, pipelined in chunks.</summary>
internal sealed unsafe partial class HostHierarchy
{
    /// <summary>Tag of the reduced pieces all-gathered between hosts on <see cref="_cross"/>.</summary>
    private const int ReducedTag = 6;

    /// <summary>
    /// Elements of a lane per pipeline chunk: 1 MiB of fp32 partials. A lane up to this size is one chunk (no extra rounds
    /// for small messages); above it, a chunk's reduction runs while MPI moves the next chunks and the reduced earlier ones.
    /// </summary>
    private const long ChunkElements = 1 << 18;

    /// <summary>
    /// Lanes up to this many elements (64 KiB of fp32 partials) are all-reduced between hosts in one round: every host
    /// gets every host's whole partial and reduces the lane itself, in the same host order (so with the same bits as the
    /// two-round form). Measured at 2 simulated hosts: the extra MPI round of reduce-scatter + all-gather cost ~15 µs per
    /// call at 4 KiB (69 against 56 µs), the two forms were even at 64 KiB and 256 KiB.
    /// </summary>
    private const long OneRoundMaxElements = 1 << 14;

    /// <summary>The reduced lane in the element type (<see cref="_whole"/>), one round or two (see <see cref="OneRoundMaxElements"/>).</summary>
    private T* AllReduceLane<T>(CollectiveCall call, ReductionArgs args, float* lane, long laneLength, CancellationToken cancellation)
        where T : unmanaged =>
        laneLength <= OneRoundMaxElements
            ? AllGatherAndReduceLane<T>(call, args, lane, laneLength, cancellation)
            : AllReduceLaneAcrossHosts<T>(call, args, lane, laneLength, cancellation);

    /// <summary>Every host's fp32 partial of the lane gathered over MPI, then the whole lane reduced here in host order.</summary>
    private T* AllGatherAndReduceLane<T>(CollectiveCall call, ReductionArgs args, float* lane, long laneLength, CancellationToken cancellation)
        where T : unmanaged
    {
        int hosts = Topology.HostCount;
        float* gathered = (float*)_gathered.Get((hosts + 1) * laneLength * sizeof(float));
        Guard(() => _cross.AllGather(call.Name, lane, gathered, laneLength, kmpi_dtype.KMPI_F32, _timeout, cancellation));
        var sources = new nint[hosts];
        for (int host = 0; host < hosts; host++)
        {
            sources[host] = (nint)(gathered + host * laneLength);
        }
        T* reduced = (T*)_whole.Get(laneLength * sizeof(T));
        ReducePiece(args, sources, gathered + hosts * laneLength, reduced, laneLength);
        return reduced;
    }

    /// <summary>
    /// Reduce-scatter then all-gather of a lane between hosts, in chunks of <see cref="ChunkElements"/>: chunk c splits
    /// into H pieces (<see cref="Shards.Of"/>(chunk, H, g) for host g). Every partial piece is sent and every receive
    /// started at once; then chunk by chunk this host waits for the others' partials of its piece, reduces them in host order
    /// (fp32, scaled, rounded once) straight into the lane's place, and starts sending the reduced piece to the other
    /// hosts, whose reduced pieces arrive meanwhile. Returns the reduced lane in the element type (<see cref="_whole"/>).
    /// </summary>
    private T* AllReduceLaneAcrossHosts<T>(CollectiveCall call, ReductionArgs args, float* lane, long laneLength, CancellationToken cancellation)
        where T : unmanaged
    {
        int hosts = Topology.HostCount, me = Topology.Host;
        long chunks = (laneLength + ChunkElements - 1) / ChunkElements;
        T* reduced = (T*)_whole.Get(laneLength * sizeof(T));
        // Slots for the other hosts' partials of this host's piece of every chunk: chunk c's start at hosts x (the pieces before it).
        float* slots = (float*)_gathered.Get(hosts * (laneLength / hosts + chunks) * sizeof(float));
        (kmpi_dtype type, int wordsPerElement) = MpiWords.Of<T>();
        var partials = new MpiLink.Transfers[chunks];
        var gathers = new List<MpiLink.Transfers>();
        var sources = new nint[hosts];
        try
        {
            long slotStart = 0;
            var slotStarts = new long[chunks];
            for (long chunk = 0; chunk < chunks; chunk++)
            {
                (long start, long[] bounds) = Chunk(chunk, laneLength, hosts);
                long mine = bounds[me + 1] - bounds[me];
                var sends = new List<(nint, long, int)>(hosts);
                var receives = new List<(nint, long, int)>(hosts);
                var gathered = new List<(nint, long, int)>(hosts);
                for (int host = 0; host < hosts; host++)
                {
                    if (host == me)
                        continue;
                    sends.Add(((nint)(lane + start + bounds[host]), bounds[host + 1] - bounds[host], host));
                    receives.Add(((nint)(slots + slotStart + host * mine), mine, host));
                    gathered.Add(((nint)(reduced + start + bounds[host]), (bounds[host + 1] - bounds[host]) * wordsPerElement, host));
                }
                partials[chunk] = _cross.Start(sends, receives, kmpi_dtype.KMPI_F32, PieceTag);
                gathers.Add(_cross.Start([], gathered, type, ReducedTag));
                slotStarts[chunk] = slotStart;
                slotStart += hosts * mine;
            }
            for (long chunk = 0; chunk < chunks; chunk++)
            {
                (long start, long[] bounds) = Chunk(chunk, laneLength, hosts);
                long mine = bounds[me + 1] - bounds[me];
                float* chunkSlots = slots + slotStarts[chunk];
                MpiLink.Wait(partials[chunk], call.Name, _timeout, cancellation);
                for (int host = 0; host < hosts; host++)
                {
                    sources[host] = host == me ? (nint)(lane + start + bounds[me]) : (nint)(chunkSlots + host * mine);
                }
                T* piece = reduced + start + bounds[me];
                ReducePiece(args, sources, chunkSlots + me * mine, piece, mine);
                var sends = new List<(nint, long, int)>(hosts);
                for (int host = 0; host < hosts; host++)
                {
                    if (host != me)
                        sends.Add(((nint)piece, mine * wordsPerElement, host));
                }
                gathers.Add(_cross.Start(sends, [], type, ReducedTag));
            }
            foreach (MpiLink.Transfers transfers in gathers)
            {
                MpiLink.Wait(transfers, call.Name, _timeout, cancellation);
            }
        }
        catch
        {
            _abandoned = true; // started transfers may still use the scratch, and MPI_Finalize would wait for them
            MpiProcess.MarkAbandoned();
            throw;
        }
        return reduced;
    }

    /// <summary>Chunk <paramref name="chunk"/> of a lane: its start, and the hosts' piece bounds within it (hosts + 1 entries).</summary>
    private static (long Start, long[] Bounds) Chunk(long chunk, long laneLength, int hosts)
    {
        long start = chunk * ChunkElements, length = Math.Min(ChunkElements, laneLength - start);
        var bounds = new long[hosts + 1];
        for (int host = 0; host < hosts; host++)
        {
            bounds[host + 1] = bounds[host] + Shards.Of(length, hosts, host).Length;
        }
        return (start, bounds);
    }
}
