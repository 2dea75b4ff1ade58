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

    /// <summary>Polls until done; on the deadline or a cancellation the request is abandoned (see the class remarks).</summary>
    private static void Wait(void* request, string operation, int[] awaited, TimeSpan timeout, CancellationToken cancellation)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var backoff = new Backoff();
        while (true)
        {
            int done;
            kmpi_status status;
            lock (MpiProcess.Lock)
            {
                status = MpiShimMethods.kmpi_test(&request, &done);
            }
            if (status != kmpi_status.KMPI_OK)
            {
                // With MPI_ERRORS_RETURN a failed operation in flight means a peer process or its connection failed.
                MpiProcess.MarkAbandoned();
                throw new PeerLostException(operation, awaited, $"MPI reported: {MpiStatus.LastError()}");
            }
            if (done != 0)
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
                throw new CollectiveTimeoutException(operation, awaited, timeout);
            }
            backoff.Pause();
        }
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
