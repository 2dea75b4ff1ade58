using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>Launch shapes are checked against CUDA's, the kernel's and the device's limits before anything is queued.</summary>
public class CudaLaunchShapeTests
{
    private const int KernelMaxThreads = 256, DeviceMaxShared = 48 * 1024;

    internal static IEnumerable<TestCaseData> BadShapes()
    {
        yield return new TestCaseData(CudaLaunchShape.Linear(0, 32), "empty dimension").SetArgDisplayNames("grid 0");
        yield return new TestCaseData(new CudaLaunchShape((1, 70000, 1), (32, 1, 1)), "exceeds (2^31-1, 65535, 65535)").SetArgDisplayNames("grid y 70000");
        yield return new TestCaseData(new CudaLaunchShape((1, 1, 1), (32, 0, 1)), "empty dimension").SetArgDisplayNames("block y 0");
        yield return new TestCaseData(new CudaLaunchShape((1, 1, 1), (1, 1, 65)), "exceeds (1024, 1024, 64)").SetArgDisplayNames("block z 65");
        yield return new TestCaseData(CudaLaunchShape.Linear(1, 512), "512 threads per block exceed the kernel's maximum of 256").SetArgDisplayNames("block 512");
        yield return new TestCaseData(CudaLaunchShape.Linear(1, 128, 64 * 1024), "65536 bytes of dynamic shared memory exceed the device's 49152").SetArgDisplayNames("shared 64 KiB");
    }

    [TestCaseSource(nameof(BadShapes))]
    public void ShapeBreakingALimitIsRejectedWithTheLimit(CudaLaunchShape shape, string limit)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => shape.Validate(KernelMaxThreads, DeviceMaxShared))!;
        Assert.That(error.ParamName, Is.EqualTo("shape"));
        Assert.That(error.Message, Does.Contain(limit));
    }

    [Test]
    public void ShapesWithinEveryLimitPass()
    {
        Assert.DoesNotThrow(() => CudaLaunchShape.Linear(int.MaxValue, 256, 48 * 1024).Validate(KernelMaxThreads, DeviceMaxShared));
        Assert.DoesNotThrow(() => new CudaLaunchShape((7, 65535, 65535), (8, 8, 4)).Validate(KernelMaxThreads, DeviceMaxShared));
    }
}
