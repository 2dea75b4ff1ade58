using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// One MPI communicator (a shim handle) used by the hierarchical communicator: every operation is started
/// non-blocking and polled with <c>kmpi_test</c> until it completes, the deadline passes
/// (<see cref="CollectiveTimeoutException"/>) or the caller cancels. A given-up operation is left to MPI with its buffers
/// (MPI cannot cancel collectives), so callers pass only memory they never free while faulted (<see cref="NativeScratch"/>).
/// </summary>
/// <param name="handle">The shim handle; owned (freed by <see cref="Dispose"/>).</param>
/// <param name="ranks">Which communicator rank is which global rank, for messages.</param>
/// <param name="self">This process's rank in the MPI communicator.</param>
internal sealed unsafe class MpiLink(void* handle, int[] ranks, int self) : IDisposable
{
    private void* _handle = handle;

    /// <summary>The shim handle, for deriving communicators.</summary>
    internal void* Handle => _handle;

    /// <summary>Every global rank but this one: MPI does not say which peer a pending collective waits for.</summary>
    private int[] Others => [.. ranks.Where((_, index) => index != self)];

    /// <summary>recv gets <paramref name="count"/> words from every rank, in rank order.</summary>
    internal void AllGather(string operation, void* send, void* recv, long count, kmpi_dtype type, TimeSpan timeout, CancellationToken cancellation)
    {
        void* request;
        lock (MpiProcess.Lock)
        {
            MpiStatus.Check(MpiShimMethods.kmpi_iallgather(_handle, send, recv, (nuint)count, type, &request), "kmpi_iallgather");
        }
        Wait(request, operation, Others, timeout, cancellation);
    }

    /// <summary>recv gets <paramref name="counts"/>[r] words from rank r, packed in rank order.</summary>
    internal void AllGatherV(string operation, void* send, void* recv, long[] counts, int rank, kmpi_dtype type, TimeSpan timeout,
        CancellationToken cancellation)
    {
        void* request;
        lock (MpiProcess.Lock)
        {
            fixed (long* table = counts)
            {
                MpiStatus.Check(MpiShimMethods.kmpi_iallgatherv(_handle, send, (nuint)counts[rank], recv, table, type, &request), "kmpi_iallgatherv");
            }
        }
        Wait(request, operation, Others, timeout, cancellation);
    }

    internal void Broadcast(string operation, void* data, long count, kmpi_dtype type, int root, TimeSpan timeout, CancellationToken cancellation)
    {
        void* request;
        lock (MpiProcess.Lock)
        {
            MpiStatus.Check(MpiShimMethods.kmpi_ibcast(_handle, data, (nuint)count, type, root, &request), "kmpi_ibcast");
        }
        Wait(request, operation, [ranks[root]], timeout, cancellation);
    }

    /// <summary>Sends and receives at once (both started before either is waited on), each with its own peer and tag.</summary>
    internal void Exchange(string operation, void* send, long sendCount, int sendTo, int sendTag, void* recv, long recvCount, int recvFrom,
        int recvTag, TimeSpan timeout, CancellationToken cancellation)
    {
        void* sending = null, receiving = null;
        lock (MpiProcess.Lock)
        {
            if (recv is not null)
            {
                MpiStatus.Check(MpiShimMethods.kmpi_irecv(_handle, recv, (nuint)recvCount, kmpi_dtype.KMPI_BYTE, recvFrom, recvTag, &receiving), "kmpi_irecv");
            }
            if (send is not null)
            {
                MpiStatus.Check(MpiShimMethods.kmpi_isend(_handle, send, (nuint)sendCount, kmpi_dtype.KMPI_BYTE, sendTo, sendTag, &sending), "kmpi_isend");
            }
        }
        if (sending is not null)
        {
            Wait(sending, operation, [ranks[sendTo]], timeout, cancellation);
        }
        if (receiving is not null)
        {
            Wait(receiving, operation, [ranks[recvFrom]], timeout, cancellation);
        }
    }

    /// <summary>
    /// Point-to-point with many peers at once: every receive, then every send, is started before any is waited on, so the
    /// transfers overlap (an MPI_Alltoallv whose pairs are known to both sides). Each entry is (buffer, words, peer's rank
    /// in this communicator); entries of zero words are skipped, so both sides must skip the same pairs.
    /// </summary>
    internal void ExchangeAll(string operation, IReadOnlyList<(nint Data, long Words, int Peer)> sends, IReadOnlyList<(nint Data, long Words, int Peer)> receives,
        kmpi_dtype type, int tag, TimeSpan timeout, CancellationToken cancellation) =>
        Wait(Start(sends, receives, type, tag), operation, timeout, cancellation);

    /// <summary>Starts transfers as <see cref="ExchangeAll"/> does, without waiting: the caller waits with <see cref="Wait(Transfers, string, TimeSpan, CancellationToken)"/>
    /// (MPI matches messages of one tag between two ranks in the order they were started).</summary>
    internal Transfers Start(IReadOnlyList<(nint Data, long Words, int Peer)> sends, IReadOnlyList<(nint Data, long Words, int Peer)> receives,
        kmpi_dtype type, int tag)
    {
        var requests = new nint[sends.Count + receives.Count];
        var peers = new int[requests.Length];
        int started = 0;
        lock (MpiProcess.Lock)
        {
            foreach ((nint data, long words, int peer) in receives)
            {
                if (words == 0)
                    continue;
                void* request;
                Started(MpiShimMethods.kmpi_irecv(_handle, (void*)data, (nuint)words, type, peer, tag, &request), "kmpi_irecv", started);
                (requests[started], peers[started++]) = ((nint)request, ranks[peer]);
            }
            foreach ((nint data, long words, int peer) in sends)
            {
                if (words == 0)
                    continue;
                void* request;
                Started(MpiShimMethods.kmpi_isend(_handle, (void*)data, (nuint)words, type, peer, tag, &request), "kmpi_isend", started);
                (requests[started], peers[started++]) = ((nint)request, ranks[peer]);
            }
        }
        return new Transfers(requests[..started], peers[..started]);
    }

    /// <summary>Polls started transfers until all are done (see <see cref="WaitAll"/>).</summary>
    internal static void Wait(Transfers transfers, string operation, TimeSpan timeout, CancellationToken cancellation) =>
        WaitAll(transfers.Requests, transfers.Peers, operation, timeout, cancellation);

    /// <summary>Started point-to-point requests (nulled as they finish) and the global rank of each one's peer.</summary>
    internal readonly record struct Transfers(nint[] Requests, int[] Peers);

    /// <summary>A start call that failed after others were started leaves those to MPI (their buffers are scratch).</summary>
    private static void Started(kmpi_status status, string call, int alreadyStarted)
    {
        if (status != kmpi_status.KMPI_OK && alreadyStarted > 0)
        {
            MpiProcess.MarkAbandoned();
        }
        MpiStatus.Check(status, call);
    }

    /// <summary>Polls until done; on the deadline or a cancellation the request is abandoned (see the class remarks).</summary>
    private static void Wait(void* request, string operation, int[] awaited, TimeSpan timeout, CancellationToken cancellation)
    {
        nint one = (nint)request;
        WaitAll(new Span<nint>(ref one), null, operation, timeout, cancellation, awaited);
    }

    /// <summary>
    /// Polls every request until all are done (<c>kmpi_test</c> nulls each finished one); on the deadline or a cancellation
    /// the unfinished ones are abandoned. A failure names the peers of the unfinished requests (<paramref name="peers"/>, one
    /// global rank per request), or <paramref name="awaited"/> when MPI cannot say (collectives).
    /// </summary>
    private static void WaitAll(Span<nint> requests, int[]? peers, string operation, TimeSpan timeout, CancellationToken cancellation,
        int[]? awaited = null)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var backoff = new Backoff();
        int remaining = requests.Length;
        while (remaining > 0)
        {
            for (int i = 0; i < requests.Length; i++)
            {
                if (requests[i] == 0)
                    continue;
                int done;
                kmpi_status status;
                void* request = (void*)requests[i];
                lock (MpiProcess.Lock)
                {
                    status = MpiShimMethods.kmpi_test(&request, &done);
                }
                requests[i] = (nint)request;
                if (status != kmpi_status.KMPI_OK)
                {
                    // With MPI_ERRORS_RETURN a failed operation in flight means a peer process or its connection failed.
                    MpiProcess.MarkAbandoned();
                    throw new PeerLostException(operation, peers is null ? awaited! : [peers[i]], $"MPI reported: {MpiStatus.LastError()}");
                }
                if (done != 0)
                {
                    requests[i] = 0;
                    remaining--;
                }
            }
            if (remaining == 0)
            {
                return;
            }
            if (cancellation.IsCancellationRequested)
            {
                MpiProcess.MarkAbandoned();
                cancellation.ThrowIfCancellationRequested();
            }
            if (Environment.TickCount64 > deadline)
            {
                MpiProcess.MarkAbandoned();
                throw new CollectiveTimeoutException(operation, peers is null ? awaited! : Unfinished(requests, peers), timeout);
            }
            backoff.Pause();
        }
    }

    private static int[] Unfinished(Span<nint> requests, int[] peers)
    {
        var unfinished = new SortedSet<int>();
        for (int i = 0; i < requests.Length; i++)
        {
            if (requests[i] != 0)
                unfinished.Add(peers[i]);
        }
        return [.. unfinished];
    }

    public void Dispose()
    {
        void* handle = _handle;
        _handle = null;
        lock (MpiProcess.Lock)
        {
            MpiShimMethods.kmpi_comm_free(&handle);
        }
    }
}
