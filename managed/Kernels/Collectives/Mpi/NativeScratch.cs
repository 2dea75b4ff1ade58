using System.Runtime.InteropServices;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// Grow-only native memory that MPI reads and writes in the hierarchical communicator. Only this memory is ever handed to
/// MPI: an operation given up at the deadline may still complete later and write into its buffer, so a faulted owner
/// never frees it (<see cref="Release"/> with <c>abandoned</c>), while a caller's span may be unpinned or reused.
/// </summary>
internal sealed unsafe class NativeScratch
{
    private byte* _memory;
    private long _bytes;

    /// <summary>At least <paramref name="bytes"/> bytes, 64-byte aligned; the contents are not kept across growth.</summary>
    internal byte* Get(long bytes)
    {
        if (bytes > _bytes)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
            _bytes = 0;
            _memory = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
            _bytes = bytes;
        }
        return _memory;
    }

    /// <param name="abandoned">An MPI operation on this memory may still be pending: leak it rather than free it under MPI.</param>
    internal void Release(bool abandoned)
    {
        if (!abandoned)
        {
            NativeMemory.AlignedFree(_memory);
        }
        _memory = null;
        _bytes = 0;
    }
}
