namespace Kernels.Collectives;

/// <summary>
/// A peer this rank was waiting on is known to be gone: it disposed its communicator, its communicator failed in an
/// earlier collective, or (between processes) its process ended. Thrown as soon as that is seen, not at the deadline.
/// The communicator is faulted afterwards.
/// </summary>
public sealed class PeerLostException : CollectiveException
{
    /// <summary>Creates the exception for <paramref name="operation"/> and the ranks found gone, with why each is gone.</summary>
    public PeerLostException(string operation, IReadOnlyList<int> lostRanks, string reasons)
        : base($"{operation}: lost rank(s) {string.Join(", ", lostRanks)} ({reasons}).")
    {
        Operation = operation;
        LostRanks = lostRanks;
    }

    /// <summary>The collective and step that was waiting.</summary>
    public string Operation { get; }

    /// <summary>The ranks found gone, ascending.</summary>
    public IReadOnlyList<int> LostRanks { get; }
}
