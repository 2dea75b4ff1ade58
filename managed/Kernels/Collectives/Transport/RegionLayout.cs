namespace Kernels.Collectives.Transport;

/// <summary>
/// Where things are in a rank's region: [header 4 KiB][staging slot 0][staging slot 1][buffer heap]. Every rank of
/// a job uses the same layout, so an offset valid in one region is valid in all.
/// </summary>
/// <remarks>
/// The two staging slots carry the user-span path (copy in, peers reduce straight out of it) and the fp32 partials
/// of recursive halving/doubling; successive rounds alternate slots so that refilling one never waits for peers still
/// reading the other. Send uses both slots as one area. The heap holds <see cref="CommunicatorBuffer{T}"/>s.
/// </remarks>
internal readonly record struct RegionLayout(long SlotBytes, long HeapBytes)
{
    /// <summary>Alignment of slots and heap blocks: whole pages, so a heap block never shares a line with a slot.</summary>
    internal const long PageBytes = 4096;

    internal long SlotOffset(int slot) => RegionHeader.Size + slot * SlotBytes;

    /// <summary>Both slots back to back, for Send.</summary>
    internal long StagingBytes => 2 * SlotBytes;

    internal long HeapOffset => RegionHeader.Size + StagingBytes;

    internal long TotalBytes => HeapOffset + HeapBytes;

    internal static RegionLayout For(long slotBytes, long heapBytes) =>
        new(RoundUp(slotBytes, PageBytes), RoundUp(heapBytes, PageBytes));

    internal static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;
}
