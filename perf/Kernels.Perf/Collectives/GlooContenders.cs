using System.Runtime.InteropServices;
using System.Text;
using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// gloo::AllreduceRing (perf/native/gloo_peer.h) in the same processes as our ranks, so that
/// <see cref="RankSweep.RunAlternated"/> times it in turns with ours: TCP on 127.0.0.1, the ranks meeting through a
/// FileStore in a private folder that rank 0 creates and names to the others over our communicator. All-reduce only
/// (sum, in place, built once per buffer and run many times, as PyTorch caches it).
/// </summary>
internal sealed unsafe partial class GlooContenders : IDisposable
{
    public const string Peer = "gloo";
    private const string Library = "kernels_perf_gloo";

    private readonly Communicator _communicator;
    private readonly DirectoryInfo? _rendezvous;
    private nint _context;

    private GlooContenders(Communicator communicator, DirectoryInfo? rendezvous, nint context, string library)
    {
        _communicator = communicator;
        _rendezvous = rendezvous;
        _context = context;
        LibraryVersion = library;
    }

    /// <summary>Gloo's version and transport, the report's library column.</summary>
    public string LibraryVersion { get; }

    /// <summary>
    /// Connects every rank of <paramref name="communicator"/> (a collective: all ranks call it), or returns null with
    /// <paramref name="problem"/> on every rank when the library is not built here.
    /// </summary>
    public static GlooContenders? TryConnect(Communicator communicator, out string problem)
    {
        bool loaded = NativeLibrary.TryLoad(Library, typeof(GlooContenders).Assembly, null, out _);
        float[] everywhere = [loaded ? 1 : 0];
        communicator.AllReduce<float>(everywhere, ReduceOp.Min);
        if (everywhere[0] == 0)
        {
            problem = $"lib{Library}.so is not built (CMake builds it when it finds libgloo-dev)";
            return null;
        }
        DirectoryInfo? rendezvous = communicator.Rank == 0 ? Directory.CreateTempSubdirectory("kn-gloo-") : null;
        byte[] path = new byte[4096];
        if (rendezvous is not null)
        {
            Encoding.UTF8.GetBytes(rendezvous.FullName, path);
        }
        communicator.Broadcast<byte>(path, root: 0);
        string folder = Encoding.UTF8.GetString(path).TrimEnd('\0');
        nint context = Connect(communicator.Rank, communicator.Size, folder);
        if (context == 0)
        {
            throw new InvalidOperationException($"Gloo could not connect rank {communicator.Rank}: {LastError()}");
        }
        problem = "";
        return new GlooContenders(communicator, rendezvous, context, Marshal.PtrToStringUTF8(LibraryVersionPointer()) ?? "Gloo");
    }

    /// <summary>Gloo's ring all-reduce at <paramref name="bytes"/>, checked as our in-place buffers are.</summary>
    public RankContender AllReduce(long bytes)
    {
        int count = (int)(bytes / sizeof(float)), rank = _communicator.Rank, size = _communicator.Size;
        float* data = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        void Refill() => TestValues.Fill(new Span<float>(data, count), 0, i => TestValues.Value(rank, i));
        Refill();
        nint ring = CreateRing(_context, data, (nuint)count);
        if (ring == 0)
        {
            NativeMemory.AlignedFree(data);
            throw new InvalidOperationException($"gloo::AllreduceRing could not be built: {LastError()}");
        }
        void Run()
        {
            if (RunRing(ring) != 0)
            {
                throw new InvalidOperationException($"gloo::AllreduceRing failed: {LastError()}");
            }
        }
        // In place: timed calls keep summing the growing values (finite values and Inf cost the same), so the data is
        // refilled and reduced once more for the check.
        return new RankContender(Peer, LibraryVersion, CollectiveNames.AllReduce, "gloo::AllreduceRing", count * 4L, count, Run,
            () =>
            {
                Refill();
                Run();
                return TestValues.Wrong(new ReadOnlySpan<float>(data, count), i => TestValues.ExpectedSum(size, i));
            },
            () =>
            {
                FreeRing(ring);
                NativeMemory.AlignedFree(data);
            });
    }

    public void Dispose()
    {
        if (_context != 0)
        {
            Close(_context);
            _context = 0;
            _communicator.Barrier(); // every rank has closed its connections before the folder goes
            _rendezvous?.Delete(recursive: true);
        }
    }

    private static string LastError() => Marshal.PtrToStringUTF8(LastErrorPointer()) ?? "no message";

    [LibraryImport(Library, EntryPoint = "kpg_library_version")]
    private static partial nint LibraryVersionPointer();

    [LibraryImport(Library, EntryPoint = "kpg_last_error")]
    private static partial nint LastErrorPointer();

    [LibraryImport(Library, EntryPoint = "kpg_connect", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint Connect(int rank, int size, string rendezvousFolder);

    [LibraryImport(Library, EntryPoint = "kpg_close")]
    private static partial void Close(nint context);

    [LibraryImport(Library, EntryPoint = "kpg_allreduce_ring_create")]
    private static partial nint CreateRing(nint context, float* data, nuint count);

    [LibraryImport(Library, EntryPoint = "kpg_allreduce_run")]
    private static partial int RunRing(nint allreduce);

    [LibraryImport(Library, EntryPoint = "kpg_allreduce_free")]
    private static partial void FreeRing(nint allreduce);
}
