using System.Runtime.InteropServices;

namespace Kernels.Interop;

/// <summary>Turns a native status into an exception; every call to a status-returning kernel goes through it.</summary>
internal static unsafe class Native
{
    /// <summary>Throws <see cref="KernelsNativeException"/> with the thread's <c>kn_last_error</c> message unless <paramref name="status"/> is KN_OK.</summary>
    internal static void Check(kn_status status)
    {
        if (status != kn_status.KN_OK)
            throw ExceptionFor(status);
    }

    /// <summary>
    /// The exception for a failed <paramref name="status"/>, built from this thread's <c>kn_last_error</c>:
    /// call it on the thread that made the failing call (worker threads collect it to rethrow later).
    /// Separate from <see cref="Check"/> also so the success path stays small enough to inline.
    /// </summary>
    internal static KernelsNativeException ExceptionFor(kn_status status)
    {
        // kn_last_error is thread-local and valid until this thread's next native call: read it now.
        string message = Marshal.PtrToStringUTF8((nint)NativeMethods.kn_last_error()) ?? "";
        string name = Enum.IsDefined(status) ? status.ToString() : $"kn_status {(int)status}";
        return new KernelsNativeException((int)status, name, message);
    }
}
