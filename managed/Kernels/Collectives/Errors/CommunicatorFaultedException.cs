namespace Kernels.Collectives;

/// <summary>
/// An earlier collective on this communicator failed part-way (timeout, lost peer, cancellation after data was
/// exchanged, native error), so the ranks no longer agree on where they are; the communicator only allows
/// <see cref="Communicator.Dispose"/>. <see cref="Exception.InnerException"/> is the original failure.
/// </summary>
public sealed class CommunicatorFaultedException : CollectiveException
{
    /// <summary>Creates the exception for rank <paramref name="rank"/> with the failure that faulted it.</summary>
    public CommunicatorFaultedException(int rank, Exception cause)
        : base($"The communicator of rank {rank} failed in an earlier collective and can only be disposed: {cause.Message}", cause)
    {
    }
}
