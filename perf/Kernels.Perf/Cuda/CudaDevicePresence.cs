using Kernels.Cuda;

namespace Kernels.Perf.Cuda;

/// <summary>How many GPUs this machine has, as the cases of the group need to know before they open one.</summary>
internal static class CudaDevicePresence
{
    /// <summary>The driver's device count; 0 with <paramref name="reason"/> set when there is no driver or no device.</summary>
    public static int Count(out string reason)
    {
        try
        {
            int count = CudaDevice.Count;
            reason = count == 0 ? "the CUDA driver reports no device" : "";
            return count;
        }
        catch (CudaUnavailableException e)
        {
            reason = e.Message;
            return 0;
        }
    }
}
