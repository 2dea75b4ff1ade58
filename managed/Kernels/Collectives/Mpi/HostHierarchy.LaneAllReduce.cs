using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>The all-reduce of a lane between hosts: one round for small lanes, else two, pipelined in chunks.</summary>
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
        where T : unmanaged
    {
        if (laneLength <= OneRoundMaxElements)
        {
            return AllGatherAndReduceLane<T>(call, args, lane, laneLength, cancellation);
        }
        // The whole lane is ready: every chunk's transfers start at once, then the chunks are reduced in order.
        long chunks = (laneLength + ChunkElements - 1) / ChunkElements;
        T* reduced = (T*)_whole.Get(laneLength * sizeof(T));
        var pipeline = new LanePipeline<T>(this, call.Name, args, laneLength, chunks, cancellation);
        for (long start = 0; start < laneLength; start += ChunkElements)
        {
            pipeline.Start(lane + start, Math.Min(ChunkElements, laneLength - start), reduced + start);
        }
        pipeline.Complete();
        return reduced;
    }

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
    /// Reduce-scatter then all-gather of lane chunks between hosts, chunk by chunk as they are started: chunk c splits into
    /// H pieces (<see cref="Shards.Of"/>(chunk, H, g) for host g). <see cref="Start"/> sends every other host its piece of
    /// this host's partial and starts the receives (the others' partials of this host's piece, and their reduced pieces);
    /// <see cref="FinishOldest"/> waits for the oldest chunk's partials, reduces them in host order (fp32, scaled, rounded
    /// once) straight into the chunk's reduced place and starts sending it to the other hosts. MPI matches one tag's
    /// messages between two ranks in the order they were started, so chunks pair up across hosts by order alone.
    /// Any failure abandons the started transfers (their scratch is leaked, MPI_Finalize skipped).
    /// </summary>
    private sealed class LanePipeline<T> where T : unmanaged
    {
        private readonly HostHierarchy _owner;
        private readonly string _operation;
        private readonly ReductionArgs _args;
        private readonly CancellationToken _cancellation;
        private readonly float* _slots;
        private readonly Queue<Chunk> _started = new();
        private readonly List<MpiLink.Transfers> _gathers = [];
        private long _slotCursor;

        /// <param name="laneElements">Elements of all chunks together; <paramref name="chunks"/>: how many (sizes the receive slots).</param>
        internal LanePipeline(HostHierarchy owner, string operation, ReductionArgs args, long laneElements, long chunks, CancellationToken cancellation)
        {
            _owner = owner;
            _operation = operation;
            _args = args;
            _cancellation = cancellation;
            int hosts = owner.Topology.HostCount;
            // Each chunk's piece is at most ceil(length / hosts): at most laneElements / hosts + 1 per chunk in all.
            _slots = (float*)owner._gathered.Get(hosts * (laneElements / hosts + chunks) * sizeof(float));
        }

        /// <param name="partial">This host's fp32 partial of the chunk (memory MPI may use, untouched until <see cref="Complete"/>).</param>
        /// <param name="reduced">Where the reduced chunk goes, in the element type (memory MPI may use).</param>
        internal void Start(float* partial, long length, T* reduced)
        {
            int hosts = _owner.Topology.HostCount, me = _owner.Topology.Host;
            var bounds = new long[hosts + 1];
            for (int host = 0; host < hosts; host++)
            {
                bounds[host + 1] = bounds[host] + Shards.Of(length, hosts, host).Length;
            }
            long mine = bounds[me + 1] - bounds[me];
            float* slots = _slots + _slotCursor;
            _slotCursor += hosts * mine;
            (kmpi_dtype type, int wordsPerElement) = MpiWords.Of<T>();
            var sends = new List<(nint, long, int)>(hosts);
            var receives = new List<(nint, long, int)>(hosts);
            var gathered = new List<(nint, long, int)>(hosts);
            for (int host = 0; host < hosts; host++)
            {
                if (host == me)
                    continue;
                sends.Add(((nint)(partial + bounds[host]), bounds[host + 1] - bounds[host], host));
                receives.Add(((nint)(slots + host * mine), mine, host));
                gathered.Add(((nint)(reduced + bounds[host]), (bounds[host + 1] - bounds[host]) * wordsPerElement, host));
            }
            Run(() =>
            {
                _started.Enqueue(new Chunk(partial, bounds, slots, reduced, _owner._cross.Start(sends, receives, kmpi_dtype.KMPI_F32, PieceTag)));
                _gathers.Add(_owner._cross.Start([], gathered, type, ReducedTag));
            });
        }

        /// <summary>Chunks started and not yet finished.</summary>
        internal int Pending => _started.Count;

        internal void FinishOldest()
        {
            Chunk chunk = _started.Dequeue();
            int hosts = _owner.Topology.HostCount, me = _owner.Topology.Host;
            long mine = chunk.Bounds[me + 1] - chunk.Bounds[me];
            Run(() => MpiLink.Wait(chunk.Partials, _operation, _owner._timeout, _cancellation));
            var sources = new nint[hosts];
            for (int host = 0; host < hosts; host++)
            {
                sources[host] = host == me ? (nint)(chunk.Partial + chunk.Bounds[me]) : (nint)(chunk.Slots + host * mine);
            }
            T* piece = chunk.Reduced + chunk.Bounds[me];
            Run(() => ReducePiece(_args, sources, chunk.Slots + me * mine, piece, mine));
            (kmpi_dtype type, int wordsPerElement) = MpiWords.Of<T>();
            var sends = new List<(nint, long, int)>(hosts);
            for (int host = 0; host < hosts; host++)
            {
                if (host != me)
                    sends.Add(((nint)piece, mine * wordsPerElement, host));
            }
            Run(() => _gathers.Add(_owner._cross.Start(sends, [], type, ReducedTag)));
        }

        /// <summary>Finishes every started chunk and waits until every reduced piece has been sent and received.</summary>
        internal void Complete()
        {
            while (_started.Count > 0)
            {
                FinishOldest();
            }
            foreach (MpiLink.Transfers transfers in _gathers)
            {
                Run(() => MpiLink.Wait(transfers, _operation, _owner._timeout, _cancellation));
            }
        }

        private void Run(Action step)
        {
            try
            {
                step();
            }
            catch
            {
                _owner._abandoned = true; // started transfers may still use the scratch, and MPI_Finalize would wait for them
                MpiProcess.MarkAbandoned();
                throw;
            }
        }

        private readonly struct Chunk(float* partial, long[] bounds, float* slots, T* reduced, MpiLink.Transfers partials)
        {
            internal float* Partial { get; } = partial;
            internal long[] Bounds { get; } = bounds;
            internal float* Slots { get; } = slots;
            internal T* Reduced { get; } = reduced;
            internal MpiLink.Transfers Partials { get; } = partials;
        }
    }
}
