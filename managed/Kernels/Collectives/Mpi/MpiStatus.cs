using System.Runtime.InteropServices;

namespace Kernels.Collectives.Mpi;

/// <summary>Turns a failed shim call into an exception carrying the shim's message (MPI's error string).</summary>
internal static unsafe class MpiStatus
{
    /// <exception cref="CollectiveException">The call failed.</exception>
    internal static void Check(kmpi_status status, string what)
    {
        if (status != kmpi_status.KMPI_OK)
        {
            throw new CollectiveException($"{what} failed ({status}): {LastError()}");
        }
    }

    /// <summary>The calling thread's last shim error message.</summary>
    internal static string LastError() => Marshal.PtrToStringUTF8((nint)MpiShimMethods.kmpi_last_error()) ?? "no message";
}
