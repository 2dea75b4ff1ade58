namespace Kernels.Collectives;

/// <summary>
/// Data received from a peer failed validation (e.g. a sparse index outside the index space or outside this rank's
/// shard) and was rejected before any kernel wrote through it. The communicator stays usable.
/// </summary>
public sealed class CollectiveDataException : CollectiveException
{
    /// <summary>Creates the exception naming the sending rank.</summary>
    public CollectiveDataException(string operation, int sourceRank, string problem)
        : base($"{operation}: data from rank {sourceRank} rejected: {problem}.")
    {
        SourceRank = sourceRank;
    }

    /// <summary>The rank whose data was rejected.</summary>
    public int SourceRank { get; }
}
