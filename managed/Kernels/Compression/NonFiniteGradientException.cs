namespace Kernels.Compression;

/// <summary>
/// Thrown on every rank by a <see cref="CompressedAllReduce"/> with <see cref="CompressedAllReduce.RejectNonFinite"/> when any rank's
/// gradient holds NaN or an infinity: the ranks agreed on it before anything else was sent, so no state changed and the
/// communicator stays usable.
/// </summary>
public sealed class NonFiniteGradientException : ArgumentException
{
    internal NonFiniteGradientException(IReadOnlyList<int> ranks, int firstIndexHere)
        : base($"The gradient of rank(s) {string.Join(", ", ranks)} holds NaN or an infinity" +
            (firstIndexHere >= 0 ? $" (on this rank first at index {firstIndexHere})" : "") +
            "; the compressed all-reduce was rejected on every rank before any data was exchanged, and no state changed.", "gradient")
    {
        Ranks = ranks;
    }

    /// <summary>The ranks whose gradient held a non-finite value, ascending.</summary>
    public IReadOnlyList<int> Ranks { get; }
}
