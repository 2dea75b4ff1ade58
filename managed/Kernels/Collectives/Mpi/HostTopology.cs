using System.Globalization;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// Which ranks share a host, from one host key per rank (gathered by every rank alike). Hosts are numbered in the order
/// of their lowest rank; a host's members are its ranks in ascending order, and a rank's local rank is its place there.
/// </summary>
internal sealed class HostTopology
{
    /// <summary>The variable that makes ranks of one machine behave as separate hosts, for tests and experiments.</summary>
    internal const string SimulatedHostsVariable = "KN_SIMULATED_HOSTS";

    private HostTopology(int rank, int[] hostOf, int[][] members)
    {
        Rank = rank;
        HostOf = hostOf;
        Members = members;
        LocalRankOf = new int[hostOf.Length];
        foreach (int[] group in members)
        {
            for (int local = 0; local < group.Length; local++)
            {
                LocalRankOf[group[local]] = local;
            }
        }
        MinLocalSize = members.Min(group => group.Length);
    }

    internal int Rank { get; }
    internal int Size => HostOf.Length;
    /// <summary>Host index of every rank.</summary>
    internal int[] HostOf { get; }
    /// <summary>Local rank of every rank on its host.</summary>
    internal int[] LocalRankOf { get; }
    /// <summary>Each host's ranks, ascending.</summary>
    internal int[][] Members { get; }
    internal int HostCount => Members.Length;
    internal int Host => HostOf[Rank];
    internal int LocalRank => LocalRankOf[Rank];
    internal int LocalSize => Members[Host].Length;
    /// <summary>The fewest ranks on any host: local ranks below it carry the traffic between hosts, one shard each.</summary>
    internal int MinLocalSize { get; }

    /// <param name="keys">One key per rank; equal keys mean the same host.</param>
    /// <param name="rank">This process's rank.</param>
    internal static HostTopology FromKeys(ReadOnlySpan<long> keys, int rank)
    {
        var hostOf = new int[keys.Length];
        var firstRankOfHost = new List<long>();
        var groups = new List<List<int>>();
        for (int r = 0; r < keys.Length; r++)
        {
            int host = firstRankOfHost.IndexOf(keys[r]);
            if (host < 0)
            {
                host = firstRankOfHost.Count;
                firstRankOfHost.Add(keys[r]);
                groups.Add([]);
            }
            hostOf[r] = host;
            groups[host].Add(r);
        }
        return new HostTopology(rank, hostOf, [.. groups.Select(group => group.ToArray())]);
    }

    /// <summary>
    /// This rank's host key from <c>KN_SIMULATED_HOSTS</c>: either a host count H (ranks split into H contiguous blocks,
    /// sizes differing by at most one) or one label per rank, comma-separated (e.g. <c>0,1,0</c>: ranks 0 and 2 share a host).
    /// </summary>
    /// <exception cref="ArgumentException">The value is neither form, or a count is outside 1..size.</exception>
    internal static long SimulatedHostKey(string value, int rank, int size)
    {
        string[] parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 1)
        {
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int hosts) || hosts < 1 || hosts > size)
            {
                throw new ArgumentException($"{SimulatedHostsVariable}='{value}' is not a host count in 1..{size} (the world size) nor a comma-separated label per rank.");
            }
            return (long)rank * hosts / size;
        }
        if (parts.Length != size)
        {
            throw new ArgumentException($"{SimulatedHostsVariable}='{value}' has {parts.Length} labels but there are {size} ranks: give one per rank.");
        }
        if (!long.TryParse(parts[rank], NumberStyles.None, CultureInfo.InvariantCulture, out long label))
        {
            throw new ArgumentException($"{SimulatedHostsVariable}='{value}': label {rank} ('{parts[rank]}') is not a non-negative integer.");
        }
        return label;
    }
}
