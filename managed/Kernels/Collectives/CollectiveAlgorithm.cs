namespace Kernels.Collectives;

/// <summary>The all-reduce algorithm; each gives bitwise-identical results on every rank and from run to run for a given world size.</summary>
public enum CollectiveAlgorithm
{
    /// <summary>Chosen per call by the cost model from message size and world size (<c>KN_ALGO</c> overrides it).</summary>
    Auto = 0,
    /// <summary>Every rank reduces the whole message from all peers (order x0, x1, ..., x(n-1)): one synchronisation, for small messages.</summary>
    OneShot = 1,
    /// <summary>Reduce-scatter then all-gather: rank r reduces shard r in order x0, x1, ..., x(n-1), then all copy. For large messages.
    /// <c>KN_ALGO=ring</c> selects it too: on shared memory the ring's reduce-scatter + all-gather is this algorithm with direct reads.</summary>
    TwoShot = 2,
    /// <summary>Recursive halving then doubling, pairwise tree order (see the remarks of <see cref="Communicator.AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/>); non-powers of two fold first.</summary>
    RecursiveHalvingDoubling = 3,
}
