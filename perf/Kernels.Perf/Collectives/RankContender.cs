namespace Kernels.Perf.Collectives;

/// <summary>
/// One contender of a (collective, size) case on one rank, ready to time: the call, the count of wrong elements after
/// it (every rank's own), what the report names it, and what to free afterwards. Built by <see cref="RankSweep"/>
/// (our communicators) and <see cref="MpiContenders"/> (MPI in the same processes).
/// </summary>
/// <param name="Peer">The report's contender name (the JSON line's "peer").</param>
/// <param name="Library">"Kernels", or the MPI library's version string.</param>
/// <param name="Collective">One of <see cref="CollectiveNames.All"/>.</param>
/// <param name="Algorithm">How the contender runs (our buffer kind, or the MPI function).</param>
/// <param name="Bytes">The case's S (nccl-tests' size of the whole vector).</param>
/// <param name="Count">Elements per call, as the peers report it.</param>
internal sealed record RankContender(string Peer, string Library, string Collective, string Algorithm, long Bytes, long Count, Action Call, Func<long> Wrong, Action Release);
