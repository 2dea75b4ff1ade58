namespace Kernels;

/// <summary>
/// A native kernel returned a failure status. The message is the kernel's own explanation
/// (<c>kn_last_error</c>) for the calling thread.
/// </summary>
public sealed class KernelsNativeException : InvalidOperationException
{
    /// <summary>Creates the exception for a failed native call.</summary>
    /// <param name="statusCode">The numeric <c>kn_status</c> the kernel returned.</param>
    /// <param name="statusName">The C name of that status, e.g. <c>KN_INVALID_ARGUMENT</c>.</param>
    /// <param name="nativeMessage">The kernel's message; empty when it gave none.</param>
    public KernelsNativeException(int statusCode, string statusName, string nativeMessage)
        : base(nativeMessage.Length > 0 ? $"{statusName}: {nativeMessage}" : statusName)
    {
        StatusCode = statusCode;
        StatusName = statusName;
        NativeMessage = nativeMessage;
    }

    /// <summary>The numeric <c>kn_status</c> the kernel returned (1 = invalid argument, 2 = unsupported, 3 = internal error).</summary>
    public int StatusCode { get; }

    /// <summary>The C name of the status, e.g. <c>KN_UNSUPPORTED</c>.</summary>
    public string StatusName { get; }

    /// <summary>The kernel's explanation, from <c>kn_last_error</c> on the calling thread.</summary>
    public string NativeMessage { get; }
}
