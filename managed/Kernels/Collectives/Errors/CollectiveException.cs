namespace Kernels.Collectives;

/// <summary>Base of the failures a collective reports: a peer that did not arrive, a lost peer, disagreeing calls.</summary>
public class CollectiveException : Exception
{
    /// <summary>Creates the exception with a message and an optional cause.</summary>
    public CollectiveException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}
