namespace Kernels.Perf.Collectives;

/// <summary>
/// The contenders that run as child processes: one job where our shared-memory ranks, MPI's collectives and Gloo's ring
/// run in the same two processes and every case times them in turns (under mpirun; without MPI under the launcher, and
/// then without MPI), and our ranks over the MPI path. Starting a job per size would cost more than many of its cases,
/// so each sweeps every planned size once, the first time an item asks, one after another (never two jobs at once on
/// this 2-core machine); the items then read their case from the results.
/// </summary>
internal sealed class ChildSweeps(SweepPlan plan)
{
    private readonly Lazy<Sweep> _withPeers = new(() => MpiPeer.RunsUnderMpirun
        ? new Sweep(MpiPeer.RunWithPeers(plan))
        : new Sweep(SharedMemoryRanks.Run(plan), MpiPeer.Unavailable));
    private readonly Lazy<Sweep> _hierarchical = new(() => new Sweep(MpiPeer.RunHierarchical(plan)));

    /// <summary>Each child contender's case at this collective and size: (implementation, case or null, why it is missing).</summary>
    public IEnumerable<(string Implementation, PeerCase? Case, string? Problem)> CasesAt(string collective, long bytes)
    {
        Sweep shared = _withPeers.Value;
        yield return shared.Find(CollectiveNames.SharedSpans, CollectiveNames.SharedSpans, collective, bytes);
        yield return shared.Find(CollectiveNames.SharedBuffers, CollectiveNames.SharedBuffers, collective, bytes);
        yield return _hierarchical.Value.Find(CollectiveNames.Hierarchical, CollectiveNames.Hierarchical, collective, bytes);
        yield return shared.Find(CollectiveNames.Mpi, MpiContenders.Peer, collective, bytes, shared.MpiProblem);
        if (collective == CollectiveNames.AllReduce)
        {
            yield return shared.Find(CollectiveNames.Gloo, GlooContenders.Peer, collective, bytes);
            foreach (string algorithm in CollectiveNames.ForcedAlgorithms)
            {
                (string spans, string buffers) = CollectiveNames.SharedNames(algorithm);
                yield return shared.Find(spans, spans, collective, bytes);
                yield return shared.Find(buffers, buffers, collective, bytes);
            }
        }
    }

    /// <param name="MpiProblem">Why the job has no MPI cases, when it ran without MPI.</param>
    private sealed record Sweep((IReadOnlyList<PeerCase> Cases, string? Problem) Outcome, string? MpiProblem = null)
    {
        /// <param name="implementation">The report's name.</param>
        /// <param name="peer">The "peer" the job prints for it.</param>
        /// <param name="absent">Why it is missing when the job never runs it.</param>
        public (string, PeerCase?, string?) Find(string implementation, string peer, string collective, long bytes, string? absent = null)
        {
            PeerCase? found = Outcome.Cases.FirstOrDefault(c => c.Collective == collective && c.Bytes == bytes && c.Peer == peer);
            return (implementation, found, found is null ? absent ?? Outcome.Problem ?? "no result for this case (see the run's log)" : null);
        }
    }
}
