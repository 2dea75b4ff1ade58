using Kernels.Cuda;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Copies queued on a stream through <see cref="PinnedHostBuffer{T}"/> staging memory, and their argument checks.
/// Ignored with the reason where there is no device.
/// </summary>
public class GpuStagingTests : GpuFixture
{
    [Test]
    public void QueuedCopiesRoundTripThroughPinnedMemory([Values(0, 1, 1025)] int length)
    {
        float[] values = Samples.Uniform<float>(length, 3);
        using var stream = CudaStream.Create(Device);
        using var up = PinnedHostBuffer<float>.Allocate(Device, length);
        using var down = PinnedHostBuffer<float>.Allocate(Device, length);
        using var buffer = DeviceBuffer<float>.Allocate(Device, length);
        values.CopyTo(up.Span);
        buffer.CopyFrom(up, stream);
        buffer.CopyTo(down, stream);
        stream.Synchronize();
        Assert.That(down.Span.ToArray(), Is.EqualTo(values));
    }

    [Test]
    public void QueuedCopyChecksComeBeforeAnythingIsQueued()
    {
        using var stream = CudaStream.Create(Device);
        using var buffer = DeviceBuffer<float>.Allocate(Device, 7);
        using var shorter = PinnedHostBuffer<float>.Allocate(Device, 6);
        Assert.That(() => buffer.CopyFrom(null!, stream), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => buffer.CopyTo(shorter, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => buffer.CopyFrom(shorter, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("source"));
        Assert.That(() => buffer.CopyTo(shorter, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("destination"));

        var freed = PinnedHostBuffer<float>.Allocate(Device, 7);
        freed.Dispose();
        Assert.That(() => buffer.CopyFrom(freed, stream), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => _ = freed.Span, Throws.TypeOf<ObjectDisposedException>());
    }
}
