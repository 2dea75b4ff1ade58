namespace Kernels.Collectives.Mpi;

/// <summary>
/// Where each rank's shard of a vector sits once the vector is packed in host order (the shards of host 0's ranks, then
/// host 1's, ...): what a host owns is then one contiguous region, so the reduce-scatter between hosts sends each host
/// one piece per lane. When every host's ranks are consecutive (the usual placement) the packed order is the rank order.
/// </summary>
internal sealed class HostOrderedShards
{
    /// <param name="topology">Which ranks share a host.</param>
    /// <param name="lengths">Elements of each rank's shard; the shards lie back to back in rank order.</param>
    internal HostOrderedShards(HostTopology topology, long[] lengths)
    {
        int size = lengths.Length;
        Lengths = lengths;
        Offsets = new long[size];
        for (int rank = 1; rank < size; rank++)
        {
            Offsets[rank] = Offsets[rank - 1] + lengths[rank - 1];
        }
        PackedOffsets = new long[size];
        RegionStarts = new long[topology.HostCount + 1];
        long cursor = 0;
        for (int host = 0; host < topology.HostCount; host++)
        {
            RegionStarts[host] = cursor;
            foreach (int rank in topology.Members[host])
            {
                PackedOffsets[rank] = cursor;
                cursor += lengths[rank];
            }
        }
        RegionStarts[topology.HostCount] = cursor;
        InRankOrder = Enumerable.Range(0, size).All(rank => lengths[rank] == 0 || PackedOffsets[rank] == Offsets[rank]);
    }

    /// <summary>Shard lengths, by rank.</summary>
    internal long[] Lengths { get; }
    /// <summary>Shard offsets in the caller's vector, by rank.</summary>
    internal long[] Offsets { get; }
    /// <summary>Shard offsets in the vector packed in host order, by rank.</summary>
    internal long[] PackedOffsets { get; }
    /// <summary>Start of each host's region in the packed vector, and the total as a last entry (hosts + 1 entries).</summary>
    internal long[] RegionStarts { get; }
    /// <summary>Packing changes nothing: no copy needed.</summary>
    internal bool InRankOrder { get; }

    /// <summary>How the packed range [<paramref name="start"/>, + <paramref name="length"/>) splits by host region:
    /// hosts + 1 bounds relative to <paramref name="start"/>, host h's part between entries h and h + 1 (possibly empty).</summary>
    internal long[] BoundsWithin(long start, long length) =>
        [.. RegionStarts.Select(regionStart => Math.Clamp(regionStart - start, 0, length))];

    /// <summary>The elements of packed range [<paramref name="start"/>, + <paramref name="length"/>) that lie in <paramref name="host"/>'s region.</summary>
    internal long OverlapWithRegion(long start, long length, int host) =>
        Math.Max(0, Math.Min(start + length, RegionStarts[host + 1]) - Math.Max(start, RegionStarts[host]));
}
