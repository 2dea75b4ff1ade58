namespace Kernels.Collectives;

/// <summary>The all-reduce algorithm; each gives bitwise-identical results on every rank and from run to run for a given world size.</summary>
public enum CollectiveAlgorithm
{
    /// <summary>Chosen per call by the cost model from message size and world size (<c>KN_ALGO</c> overrides it).</summary>
    Auto = 0,
    /// <summary>Every rank reduces the whole message from all peers (order x0, x1, ..., x(n-1)): one synchronisation, for small messages.</summary>
    OneShot = 1,
    /// <summary>Reduce-scatter then all-gather with direct reads: rank r reduces shard r in order x0, x1, ..., x(n-1) reading every peer, then all copy. For large messages.</summary>
    TwoShot = 2,
    /// <summary>Recursive halving then doubling, pairwise tree order (see the remarks of <see cref="Communicator.AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/>); non-powers of two fold first.</summary>
    RecursiveHalvingDoubling = 3,
    /// <summary>Ring reduce-scatter + all-gather, chunked and pipelined, each step talking only to the neighbours: shard c is
    /// reduced in order x(c+1), x(c+2), ..., x(n-1), x0, ..., xc (ranks modulo n, ending with its owner c), which then passes it around.</summary>
    Ring = 4,
}
