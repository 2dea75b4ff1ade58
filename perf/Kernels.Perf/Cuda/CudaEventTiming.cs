using Kernels.Cuda;

namespace Kernels.Perf.Cuda;

/// <summary>Seconds per call of work queued on a stream, timed between two CUDA events (the device's clock, not the host's).</summary>
internal static class CudaEventTiming
{
    /// <summary>
    /// Two warm-up calls (first launch compiles or loads the kernel), <paramref name="drain"/>, <paramref name="align"/>, then
    /// <paramref name="repeats"/> calls between two events. <paramref name="drain"/> waits for the stream: collectives pass
    /// their own Synchronize so that a lost peer becomes an exception rather than a hang; <paramref name="align"/> lets the
    /// ranks of a collective start the timed calls together.
    /// </summary>
    public static double SecondsPerCall(CudaDevice device, CudaStream stream, int repeats, Action call, Action drain, Action? align = null)
    {
        call();
        call();
        drain();
        align?.Invoke();
        using CudaEvent start = CudaEvent.Create(device), end = CudaEvent.Create(device);
        start.Record(stream);
        for (int i = 0; i < repeats; i++)
            call();
        end.Record(stream);
        drain();
        end.Synchronize();
        return CudaEvent.ElapsedMilliseconds(start, end) / 1e3 / repeats;
    }
}
