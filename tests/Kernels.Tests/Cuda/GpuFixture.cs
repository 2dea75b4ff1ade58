using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Base of the fixtures that need a GPU: opens device 0 and a stream once, or ignores the whole fixture with the reason
/// where there is no device; copies arrays to and from the device.
/// </summary>
[NonParallelizable]
public abstract class GpuFixture
{
    protected CudaDevice Device { get; private set; } = null!;
    protected CudaStream DeviceStream { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenDevice()
    {
        try
        {
            Device = CudaDevice.Open(0);
            DeviceStream = CudaStream.Create(Device);
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"no CUDA device: {e.Message}");
        }
    }

    [OneTimeTearDown]
    public void CloseDevice()
    {
        DeviceStream?.Dispose();
        Device?.Dispose();
    }

    /// <summary>A device copy of <paramref name="values"/>.</summary>
    internal DeviceBuffer<T> Upload<T>(T[] values) where T : unmanaged
    {
        var buffer = DeviceBuffer<T>.Allocate(Device, values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>A host copy of <paramref name="buffer"/>.</summary>
    internal static T[] Download<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        var values = new T[buffer.Length];
        buffer.CopyTo(values);
        return values;
    }
}
