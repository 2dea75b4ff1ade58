using Kernels.Collectives.Mpi;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// The index math of the hierarchical reduce-scatter, without MPI: every small host layout (up to 5 ranks, every labelling)
/// and shard lengths 0..2, compared with a naive element-by-element owner table.
/// </summary>
[TestFixture]
public sealed class HostOrderedShardsTests
{
    [Test]
    public void PackedShardsTileEachHostsRegionAndLanesSplitByRegion()
    {
        int layouts = 0;
        for (int size = 1; size <= 5; size++)
        {
            foreach (long[] keys in Labellings(size))
            {
                HostTopology topology = HostTopology.FromKeys(keys, rank: 0);
                foreach (long[] lengths in LengthChoices(size, seed: layouts++))
                {
                    Check(topology, lengths);
                }
            }
        }
        Assert.That(layouts, Is.GreaterThan(50), "the loops should have covered many layouts");
    }

    [Test]
    public void ConsecutiveHostsNeedNoPacking()
    {
        HostTopology blocks = HostTopology.FromKeys([0, 0, 1, 1, 1], rank: 0);
        HostTopology interleaved = HostTopology.FromKeys([0, 1, 0, 1, 1], rank: 0);
        Assert.Multiple(() =>
        {
            Assert.That(new HostOrderedShards(blocks, [2, 2, 1, 1, 1]).InRankOrder, Is.True);
            Assert.That(new HostOrderedShards(interleaved, [2, 2, 1, 1, 1]).InRankOrder, Is.False);
            // An empty shard out of host order moves nothing.
            Assert.That(new HostOrderedShards(interleaved, [1, 1, 0, 1, 1]).InRankOrder, Is.True);
        });
    }

    private static void Check(HostTopology topology, long[] lengths)
    {
        var shards = new HostOrderedShards(topology, lengths);
        string context = $"hosts [{string.Join(",", topology.HostOf)}] lengths [{string.Join(",", lengths)}]";
        // Naive: element by element in host order, which rank (and so host) owns it and where it comes from.
        var ownerHost = new List<int>();
        var source = new List<long>();
        for (int host = 0; host < topology.HostCount; host++)
        {
            foreach (int rank in topology.Members[host])
            {
                long original = lengths.Take(rank).Sum();
                for (long i = 0; i < lengths[rank]; i++)
                {
                    if (i == 0)
                        Assert.That(shards.PackedOffsets[rank], Is.EqualTo(ownerHost.Count), $"{context}: packed offset of rank {rank}");
                    ownerHost.Add(host);
                    source.Add(original + i);
                }
            }
        }
        long total = lengths.Sum();
        Assert.That(shards.RegionStarts[^1], Is.EqualTo(total), context);
        for (int rank = 0; rank < lengths.Length; rank++)
        {
            Assert.That(shards.Offsets[rank], Is.EqualTo(lengths.Take(rank).Sum()), $"{context}: offset of rank {rank}");
        }
        for (int host = 0; host < topology.HostCount; host++)
        {
            Assert.That(shards.RegionStarts[host], Is.EqualTo(ownerHost.IndexOf(host) is var first && first >= 0 ? first : shards.RegionStarts[host]), context);
            Assert.That(shards.RegionStarts[host + 1] - shards.RegionStarts[host], Is.EqualTo(ownerHost.Count(owner => owner == host)), context);
        }
        Assert.That(shards.InRankOrder, Is.EqualTo(source.Select((from, at) => from == at).All(same => same)), context);
        for (int lanes = 1; lanes <= 3; lanes++)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                (long start, long length) = (total / lanes * lane + Math.Min(lane, total % lanes), total / lanes + (lane < total % lanes ? 1 : 0));
                long[] bounds = shards.BoundsWithin(start, length);
                for (int host = 0; host < topology.HostCount; host++)
                {
                    long expected = Enumerable.Range((int)start, (int)length).Count(i => ownerHost[i] == host);
                    Assert.That(bounds[host + 1] - bounds[host], Is.EqualTo(expected), $"{context}: lane {lane}/{lanes}, host {host}");
                    Assert.That(shards.OverlapWithRegion(start, length, host), Is.EqualTo(expected), $"{context}: overlap, lane {lane}/{lanes}, host {host}");
                    for (long i = bounds[host]; i < bounds[host + 1]; i++)
                        Assert.That(ownerHost[(int)(start + i)], Is.EqualTo(host), $"{context}: lane {lane}/{lanes} element {i}");
                }
            }
        }
    }

    /// <summary>Every assignment of ranks to hosts, as keys (many labellings give the same layout; they are cheap).</summary>
    private static IEnumerable<long[]> Labellings(int size)
    {
        int total = (int)Math.Pow(size, size);
        for (int code = 0; code < total; code++)
        {
            var keys = new long[size];
            for (int rank = 0, rest = code; rank < size; rank++, rest /= size)
                keys[rank] = rest % size;
            yield return keys;
        }
    }

    private static IEnumerable<long[]> LengthChoices(int size, int seed)
    {
        var random = new Random(seed);
        yield return [.. Enumerable.Repeat(1L, size)];
        for (int i = 0; i < 3; i++)
            yield return [.. Enumerable.Range(0, size).Select(_ => (long)random.Next(0, 3))];
    }
}
