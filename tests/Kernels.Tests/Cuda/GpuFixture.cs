using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Base of the device-operator fixtures that need a GPU: opens device 0 and a stream once, or ignores the whole fixture
/// with the reason where there is no device.
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
}
