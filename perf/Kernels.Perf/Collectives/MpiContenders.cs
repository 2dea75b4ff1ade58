using System.Runtime.InteropServices;
using Kernels.Collectives.Mpi;

namespace Kernels.Perf.Collectives;

/// <summary>
/// MPI_Allreduce, MPI_Reduce_scatter_block and MPI_Allgather through libkernels_mpi (the shim the library uses between
/// hosts), in the same processes as our ranks under mpirun, so that <see cref="RankSweep.RunAlternated"/> times them in
/// turns with ours: the same placement, the same minute, the same data pattern and check as ours (<see cref="TestValues"/>).
/// Out of place with native arrays, as a C program would call them.
/// </summary>
internal sealed unsafe class MpiContenders : IDisposable
{
    public const string Peer = "mpi";

    private void* _world;

    private MpiContenders(void* world, string library)
    {
        _world = world;
        Library = library;
    }

    /// <summary>MPI's version string, the report's library column.</summary>
    public string Library { get; }

    /// <summary>Initialises MPI (if the process has not) and duplicates MPI_COMM_WORLD.</summary>
    /// <exception cref="InvalidOperationException">libkernels_mpi is missing or MPI fails.</exception>
    public static MpiContenders Start()
    {
        MpiProcess.EnsureInitialised();
        void* world, duplicate;
        MpiStatus.Check(MpiShimMethods.kmpi_comm_world(&world), "MPI_COMM_WORLD");
        MpiStatus.Check(MpiShimMethods.kmpi_comm_dup(world, &duplicate), "MPI_Comm_dup");
        MpiStatus.Check(MpiShimMethods.kmpi_comm_free(&world), "freeing the world handle");
        return new MpiContenders(duplicate, Marshal.PtrToStringUTF8((nint)MpiShimMethods.kmpi_library_version()) ?? "MPI");
    }

    /// <summary>MPI's <paramref name="collective"/> at <paramref name="bytes"/> (sizes as <see cref="RankSweep.Ours"/>).</summary>
    public RankContender For(string collective, long bytes, int rank, int size)
    {
        long count = bytes / sizeof(float);
        long block = Math.Max(1, count / size);
        long total = block * size;
        return collective switch
        {
            CollectiveNames.AllReduce => Make(collective, "MPI_Allreduce", count * 4, count, count, count,
                i => TestValues.Value(rank, i), i => TestValues.ExpectedSum(size, i),
                (send, receive) => MpiShimMethods.kmpi_allreduce(_world, (void*)send, (void*)receive, (nuint)count, kmpi_dtype.KMPI_F32, kmpi_op.KMPI_OP_SUM)),
            CollectiveNames.ReduceScatter => Make(collective, "MPI_Reduce_scatter_block", total * 4, total, total, block,
                i => TestValues.Value(rank, i), j => TestValues.ExpectedSum(size, rank * block + j),
                (send, receive) => MpiShimMethods.kmpi_reduce_scatter_block(_world, (void*)send, (void*)receive, (nuint)block, kmpi_dtype.KMPI_F32, kmpi_op.KMPI_OP_SUM)),
            CollectiveNames.AllGather => Make(collective, "MPI_Allgather", total * 4, block, block, total,
                j => TestValues.Value(rank, rank * block + j), i => TestValues.Value((int)(i / block), i),
                (send, receive) => MpiShimMethods.kmpi_allgather(_world, (void*)send, (void*)receive, (nuint)block, kmpi_dtype.KMPI_F32)),
            _ => throw new ArgumentException($"unknown collective '{collective}'", nameof(collective)),
        };
    }

    private RankContender Make(string collective, string function, long bytes, long reportedCount, long sendCount, long receiveCount,
        Func<long, float> input, Func<long, float> expected, Func<nint, nint, kmpi_status> call)
    {
        float* send = (float*)NativeMemory.AlignedAlloc((nuint)(sendCount * sizeof(float)), 64);
        float* receive = (float*)NativeMemory.AlignedAlloc((nuint)(receiveCount * sizeof(float)), 64);
        TestValues.Fill(new Span<float>(send, (int)sendCount), 0, input);
        new Span<float>(receive, (int)receiveCount).Clear();
        return new RankContender(Peer, Library, collective, function, bytes, reportedCount,
            () => MpiStatus.Check(call((nint)send, (nint)receive), function),
            () => TestValues.Wrong(new ReadOnlySpan<float>(receive, (int)receiveCount), expected),
            () =>
            {
                NativeMemory.AlignedFree(send);
                NativeMemory.AlignedFree(receive);
            });
    }

    public void Dispose()
    {
        if (_world != null)
        {
            void* world = _world;
            MpiShimMethods.kmpi_comm_free(&world);
            _world = null;
        }
    }
}
