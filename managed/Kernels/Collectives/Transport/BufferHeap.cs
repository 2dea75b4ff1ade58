namespace Kernels.Collectives.Transport;

/// <summary>
/// First-fit allocator of page-aligned blocks in a rank's buffer heap. Offsets (not pointers) are handed out,
/// because peers address a buffer as their mapping of this rank's region plus the offset.
/// </summary>
internal sealed class BufferHeap(long capacityBytes)
{
    // Free blocks by offset; adjacent blocks are merged on free so the heap does not fragment under alloc/free churn.
    private readonly SortedList<long, long> _free = new() { [0] = capacityBytes };
    private readonly Dictionary<long, long> _used = new();
    private readonly object _lock = new();

    internal long CapacityBytes => capacityBytes;

    /// <summary>Offset of a new block of at least <paramref name="bytes"/> bytes (a zero-byte request still gets a page).</summary>
    /// <exception cref="OutOfMemoryException">No free block is large enough.</exception>
    internal long Allocate(long bytes)
    {
        long size = RegionLayout.RoundUp(Math.Max(bytes, 1), RegionLayout.PageBytes);
        lock (_lock)
        {
            foreach ((long offset, long length) in _free)
            {
                if (length < size)
                {
                    continue;
                }
                _free.Remove(offset);
                if (length > size)
                {
                    _free.Add(offset + size, length - size);
                }
                _used.Add(offset, size);
                return offset;
            }
        }
        throw new OutOfMemoryException(
            $"The communicator's buffer heap ({capacityBytes} bytes) has no free block of {size} bytes; raise CommunicatorOptions.BufferHeapBytes.");
    }

    internal void Free(long offset)
    {
        lock (_lock)
        {
            if (!_used.Remove(offset, out long size))
            {
                throw new InvalidOperationException($"Heap offset {offset} is not allocated.");
            }
            int index = 0;
            while (index < _free.Count && _free.Keys[index] < offset)
            {
                index++;
            }
            // Merge with the following block, then with the preceding one.
            if (index < _free.Count && _free.Keys[index] == offset + size)
            {
                size += _free.Values[index];
                _free.RemoveAt(index);
            }
            if (index > 0 && _free.Keys[index - 1] + _free.Values[index - 1] == offset)
            {
                long previous = _free.Keys[index - 1];
                _free[previous] += size;
                return;
            }
            _free.Add(offset, size);
        }
    }
}
