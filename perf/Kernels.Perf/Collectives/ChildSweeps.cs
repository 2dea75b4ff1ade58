namespace Kernels.Perf.Collectives;

/// <summary>
/// The contenders that run as child processes (MPI, Gloo, our shared-memory ranks, our ranks over the MPI path). Starting a job per size would
/// cost more than many of its cases, so each sweeps every planned size once, the first time an item asks, one after
/// another (never two jobs at once on this 2-core machine); the items then read their case from the results.
/// </summary>
internal sealed class ChildSweeps(SweepPlan plan)
{
    private readonly Lazy<Sweep> _mpi = new(() => new Sweep(MpiPeer.Run(plan)));
    private readonly Lazy<Sweep> _gloo = new(() => new Sweep(GlooPeer.Run(plan with { Collectives = [CollectiveNames.AllReduce] })));
    private readonly Lazy<Sweep> _shared = new(() => new Sweep(SharedMemoryRanks.Run(plan)));
    // The all-reduce algorithms the cost model chooses between, each forced, so that its choice can be checked in the same run.
    private readonly Lazy<Sweep>[] _forced = [.. CollectiveNames.ForcedAlgorithms.Select(algorithm => new Lazy<Sweep>(() =>
        new Sweep(SharedMemoryRanks.Run(plan with { Collectives = [CollectiveNames.AllReduce] }, algorithm))))];
    private readonly Lazy<Sweep> _hierarchical = new(() => new Sweep(MpiPeer.RunHierarchical(plan)));

    /// <summary>Each child contender's case at this collective and size: (implementation, case or null, why it is missing).</summary>
    public IEnumerable<(string Implementation, PeerCase? Case, string? Problem)> CasesAt(string collective, long bytes)
    {
        yield return _shared.Value.Find(CollectiveNames.SharedSpans, collective, bytes);
        yield return _shared.Value.Find(CollectiveNames.SharedBuffers, collective, bytes);
        yield return _hierarchical.Value.Find(CollectiveNames.Hierarchical, collective, bytes);
        yield return _mpi.Value.Find(CollectiveNames.Mpi, collective, bytes);
        if (collective == CollectiveNames.AllReduce)
        {
            yield return _gloo.Value.Find(CollectiveNames.Gloo, collective, bytes);
            for (int i = 0; i < _forced.Length; i++)
            {
                (string spans, string buffers) = CollectiveNames.SharedNames(CollectiveNames.ForcedAlgorithms[i]);
                yield return _forced[i].Value.Find(spans, collective, bytes);
                yield return _forced[i].Value.Find(buffers, collective, bytes);
            }
        }
    }

    private sealed record Sweep((IReadOnlyList<PeerCase> Cases, string? Problem) Outcome)
    {
        public (string, PeerCase?, string?) Find(string implementation, string collective, long bytes)
        {
            PeerCase? found = Outcome.Cases.FirstOrDefault(c =>
                c.Collective == collective && c.Bytes == bytes && (c.Peer == implementation || !CollectiveNames.IsOurs(implementation)));
            return (implementation, found, found is null ? Outcome.Problem ?? "no result for this case" : null);
        }
    }
}
