using System.Runtime.InteropServices;

namespace Kernels.Collectives.Transport;

/// <summary>
/// The symmetric memory of a job whose ranks are threads of this process: one page-aligned native allocation per
/// rank, all freed when the last rank lets go, so a rank that disposes early never pulls memory from under a peer
/// still copying out of it. Large allocations are mmap-backed, so untouched heap pages cost nothing.
/// </summary>
internal sealed unsafe class InProcessJob
{
    private readonly nint[] _regions;
    private int _holders;

    internal InProcessJob(int size, RegionLayout layout)
    {
        Layout = layout;
        JobId = Guid.NewGuid();
        _regions = new nint[size];
        _holders = size;
        for (int rank = 0; rank < size; rank++)
        {
            byte* region = (byte*)NativeMemory.AlignedAlloc((nuint)layout.TotalBytes, (nuint)RegionLayout.PageBytes);
            NativeMemory.Clear(region, RegionHeader.Size);
            var header = (RegionHeader*)region;
            header->Magic = RegionHeader.ExpectedMagic;
            header->Version = RegionHeader.LayoutVersion;
            header->Rank = rank;
            header->WorldSize = size;
            header->ProcessId = Environment.ProcessId;
            header->JobId = JobId;
            header->SlotBytes = layout.SlotBytes;
            header->HeartbeatMilliseconds = Environment.TickCount64;
            header->State = (int)RankState.Alive;
            _regions[rank] = (nint)region;
        }
    }

    internal RegionLayout Layout { get; }
    internal Guid JobId { get; }
    internal int Size => _regions.Length;

    internal byte* RegionOf(int rank) => (byte*)_regions[rank];

    /// <summary>The transport of one rank; each must be disposed once.</summary>
    internal SymmetricTransport TransportFor(int rank) => new RankTransport(this, rank);

    /// <summary>Ranks that were never disposed: once nothing can reach the job, nothing can touch its memory either.</summary>
    ~InProcessJob() => FreeRegions();

    private void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            FreeRegions();
            GC.SuppressFinalize(this);
        }
    }

    private void FreeRegions()
    {
        for (int rank = 0; rank < _regions.Length; rank++)
        {
            NativeMemory.AlignedFree((void*)Interlocked.Exchange(ref _regions[rank], 0));
        }
    }

    private sealed class RankTransport(InProcessJob job, int rank) : SymmetricTransport(rank, job.Size, job.Layout)
    {
        private int _disposed;

        internal override byte* RegionOf(int rank) => job.RegionOf(rank);

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                job.Release();
            }
        }
    }
}
