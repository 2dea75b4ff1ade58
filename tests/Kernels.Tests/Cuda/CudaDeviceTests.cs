using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Device discovery: without a GPU <see cref="CudaDevice.Open"/> throws <see cref="CudaUnavailableException"/> saying
/// which piece is missing; with one it reports the device. GPU-only checks are ignored with the reason when there is
/// no device.
/// </summary>
public class CudaDeviceTests
{
    [Test]
    public void NegativeOrdinalIsRejectedBeforeTheDriverIsTouched() =>
        Assert.That(() => CudaDevice.Open(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ordinal"));

    [Test]
    public void OpenEitherSucceedsOrSaysWhichPieceIsMissing()
    {
        try
        {
            using CudaDevice device = CudaDevice.Open(0);
            Assert.That(device.Name, Is.Not.Empty);
        }
        catch (CudaUnavailableException e)
        {
            Assert.That(e.Missing, Is.AnyOf(CudaComponent.Driver, CudaComponent.Device));
            Assert.That(e.Message, Does.StartWith(e.Missing == CudaComponent.Driver ? "no driver" : "no device"));
        }
    }

    [Test]
    public void OrdinalBeyondTheDeviceCountIsNoDevice()
    {
        int count = DeviceCountOrIgnore();
        var error = Assert.Throws<CudaUnavailableException>(() => CudaDevice.Open(count))!;
        Assert.That(error.Missing, Is.EqualTo(CudaComponent.Device));
    }

    [Test]
    public void DeviceReportsItsProperties()
    {
        DeviceCountOrIgnore();
        using CudaDevice device = CudaDevice.Open(0);
        Assert.That(device.ComputeCapability.Major, Is.GreaterThanOrEqualTo(3));
        Assert.That(device.MultiprocessorCount, Is.Positive);
        Assert.That(device.TotalMemoryBytes, Is.Positive);
    }

    private static int DeviceCountOrIgnore()
    {
        try
        {
            return CudaDevice.Count;
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"no CUDA device: {e.Message}");
            return 0;
        }
    }
}
