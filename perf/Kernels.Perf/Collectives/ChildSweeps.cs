namespace Kernels.Perf.Collectives;

/// <summary>
/// The contenders that run as child processes: our shared-memory ranks with MPI's collectives in the same processes
/// (one mpirun job, every case timed in turns; without MPI, our ranks alone under the launcher), Gloo, and our ranks over
/// the MPI path. Starting a job per size would cost more than many of its cases, so each sweeps every planned size once,
/// the first time an item asks, one after another (never two jobs at once on this 2-core machine); the items then read
/// their case from the results.
/// </summary>
internal sealed class ChildSweeps(SweepPlan plan)
{
    private readonly Lazy<(Sweep Ours, Sweep Mpi)> _shared = new(() =>
    {
        if (MpiPeer.RunAlongside(plan) is { } together)
        {
            var sweep = new Sweep(together);
            return (sweep, sweep);
        }
        return (new Sweep(SharedMemoryRanks.Run(plan)), new Sweep(([], MpiPeer.Unavailable)));
    });
    private readonly Lazy<Sweep> _gloo = new(() => new Sweep(GlooPeer.Run(plan with { Collectives = [CollectiveNames.AllReduce] })));
    // Without MPI, the all-reduce algorithms the cost model chooses between run forced in jobs of their own.
    private readonly Lazy<Sweep>[] _forcedAlone = [.. CollectiveNames.ForcedAlgorithms.Select(algorithm => new Lazy<Sweep>(() =>
        new Sweep(SharedMemoryRanks.Run(plan with { Collectives = [CollectiveNames.AllReduce] }, algorithm))))];
    private readonly Lazy<Sweep> _hierarchical = new(() => new Sweep(MpiPeer.RunHierarchical(plan)));

    /// <summary>Each child contender's case at this collective and size: (implementation, case or null, why it is missing).</summary>
    public IEnumerable<(string Implementation, PeerCase? Case, string? Problem)> CasesAt(string collective, long bytes)
    {
        (Sweep ours, Sweep mpi) = _shared.Value;
        yield return ours.Find(CollectiveNames.SharedSpans, CollectiveNames.SharedSpans, collective, bytes);
        yield return ours.Find(CollectiveNames.SharedBuffers, CollectiveNames.SharedBuffers, collective, bytes);
        yield return _hierarchical.Value.Find(CollectiveNames.Hierarchical, CollectiveNames.Hierarchical, collective, bytes);
        yield return mpi.Find(CollectiveNames.Mpi, MpiContenders.Peer, collective, bytes);
        if (collective == CollectiveNames.AllReduce)
        {
            yield return _gloo.Value.Find(CollectiveNames.Gloo, peer: null, collective, bytes);
            for (int i = 0; i < CollectiveNames.ForcedAlgorithms.Count; i++)
            {
                Sweep forced = ReferenceEquals(ours, mpi) ? ours : _forcedAlone[i].Value;
                (string spans, string buffers) = CollectiveNames.SharedNames(CollectiveNames.ForcedAlgorithms[i]);
                yield return forced.Find(spans, spans, collective, bytes);
                yield return forced.Find(buffers, buffers, collective, bytes);
            }
        }
    }

    private sealed record Sweep((IReadOnlyList<PeerCase> Cases, string? Problem) Outcome)
    {
        /// <param name="implementation">The report's name.</param>
        /// <param name="peer">The "peer" the job prints for it, or null when the job prints only this contender.</param>
        public (string, PeerCase?, string?) Find(string implementation, string? peer, string collective, long bytes)
        {
            PeerCase? found = Outcome.Cases.FirstOrDefault(c => c.Collective == collective && c.Bytes == bytes && (peer is null || c.Peer == peer));
            return (implementation, found, found is null ? Outcome.Problem ?? "no result for this case" : null);
        }
    }
}
