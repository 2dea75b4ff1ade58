using Kernels.Cuda;

namespace Kernels.Perf.Cuda;

/// <summary>Device buffers holding one value everywhere: the timed kernels' speed does not depend on the data.</summary>
internal static class FilledDeviceBuffer
{
    public static DeviceBuffer<T> Allocate<T>(CudaDevice device, int length, T value) where T : unmanaged
    {
        DeviceBuffer<T> buffer = DeviceBuffer<T>.Allocate(device, length);
        var host = new T[length];
        Array.Fill(host, value);
        buffer.CopyFrom(host);
        return buffer;
    }
}
