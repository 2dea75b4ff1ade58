namespace Kernels.Collectives;

/// <summary>
/// A wait for peers passed the communicator's deadline (<see cref="CommunicatorOptions.Timeout"/>) without them
/// arriving. The communicator is faulted afterwards: peers still waiting on this rank get a <see cref="PeerLostException"/>.
/// </summary>
public sealed class CollectiveTimeoutException : CollectiveException
{
    /// <summary>Creates the exception for <paramref name="operation"/> waiting on <paramref name="missingRanks"/>.</summary>
    public CollectiveTimeoutException(string operation, IReadOnlyList<int> missingRanks, TimeSpan timeout)
        : base($"{operation}: rank(s) {string.Join(", ", missingRanks)} did not arrive within {timeout.TotalMilliseconds:0} ms.")
    {
        Operation = operation;
        MissingRanks = missingRanks;
        Timeout = timeout;
    }

    /// <summary>The collective and step that was waiting, e.g. "AllReduce #3 step 1".</summary>
    public string Operation { get; }

    /// <summary>The ranks that had not reached the step when the deadline passed, ascending.</summary>
    public IReadOnlyList<int> MissingRanks { get; }

    /// <summary>The deadline that passed.</summary>
    public TimeSpan Timeout { get; }
}
