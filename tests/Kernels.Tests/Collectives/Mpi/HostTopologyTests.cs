using Kernels.Collectives.Mpi;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>The host split of a hierarchical job, without MPI: host numbering, local ranks, and KN_SIMULATED_HOSTS.</summary>
[TestFixture]
public sealed class HostTopologyTests
{
    [Test]
    public void HostsAreNumberedByTheirLowestRankAndMembersAscend()
    {
        HostTopology topology = HostTopology.FromKeys([7, 3, 7, 3, 9], rank: 2);
        Assert.Multiple(() =>
        {
            Assert.That(topology.HostOf, Is.EqualTo(new[] { 0, 1, 0, 1, 2 }));
            Assert.That(topology.LocalRankOf, Is.EqualTo(new[] { 0, 0, 1, 1, 0 }));
            Assert.That(topology.Members, Is.EqualTo(new[] { new[] { 0, 2 }, new[] { 1, 3 }, new[] { 4 } }));
            Assert.That((topology.Host, topology.LocalRank, topology.LocalSize, topology.MinLocalSize), Is.EqualTo((0, 1, 2, 1)));
        });
    }

    [Test]
    public void SimulatedHostCountSplitsRanksIntoContiguousBlocks()
    {
        Assert.That(Enumerable.Range(0, 3).Select(rank => HostTopology.SimulatedHostKey("2", rank, 3)), Is.EqualTo(new long[] { 0, 0, 1 }));
        Assert.That(Enumerable.Range(0, 4).Select(rank => HostTopology.SimulatedHostKey("2", rank, 4)), Is.EqualTo(new long[] { 0, 0, 1, 1 }));
        Assert.That(Enumerable.Range(0, 2).Select(rank => HostTopology.SimulatedHostKey("2", rank, 2)), Is.EqualTo(new long[] { 0, 1 }));
    }

    [Test]
    public void SimulatedHostLabelsNameEachRanksHost() =>
        Assert.That(Enumerable.Range(0, 3).Select(rank => HostTopology.SimulatedHostKey("0, 1,0", rank, 3)), Is.EqualTo(new long[] { 0, 1, 0 }));

    [Test]
    public void InvalidSimulatedHostsAreNamed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => HostTopology.SimulatedHostKey("0", 0, 2), Throws.ArgumentException.With.Message.Contains("KN_SIMULATED_HOSTS='0'"));
            Assert.That(() => HostTopology.SimulatedHostKey("3", 0, 2), Throws.ArgumentException.With.Message.Contains("host count in 1..2"));
            Assert.That(() => HostTopology.SimulatedHostKey("0,1", 0, 3), Throws.ArgumentException.With.Message.Contains("one per rank"));
            Assert.That(() => HostTopology.SimulatedHostKey("0,x,1", 1, 3), Throws.ArgumentException.With.Message.Contains("'x'"));
        });
    }
}
