using Kernels.Attention;
using Kernels.Cuda;
using Kernels.Tests.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// <see cref="CudaFlashAttention"/> on a real GPU against the float64 reference with the CPU tests' acceptance rule, and its
/// buffer checks. Ignored with the reason where there is no device.
/// </summary>
public class GpuFlashAttentionTests : GpuFlashAttentionFixture
{
    [TestCaseSource(typeof(GpuFlashAttentionFixture), nameof(CaseData))]
    public void MatchesFloat64Reference(Storage storage, AttentionCase c) => storage.Run(new DeviceCase(this, c));

    [Test]
    public void BufferChecksComeBeforeTheLaunch()
    {
        var shape = new AttentionShape(1, 7, 7, 1, 1, 64);
        using var q = DeviceBuffer<Half>.Allocate(Device, (int)shape.QueryLength);
        using var shortK = DeviceBuffer<Half>.Allocate(Device, (int)shape.KeyLength - 1);
        using var o = DeviceBuffer<Half>.Allocate(Device, (int)shape.OutputLength);
        using var lse = DeviceBuffer<float>.Allocate(Device, (int)shape.RowCount);
        Assert.That(() => CudaFlashAttention.Forward(q, shortK, q, o, lse, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("k"));
        Assert.That(() => CudaFlashAttention.Forward(q, q, q, q, lse, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("o"));
        using var shortLse = DeviceBuffer<float>.Allocate(Device, (int)shape.RowCount - 1);
        Assert.That(() => CudaFlashAttention.Forward(q, q, q, o, shortLse, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("lse"));
    }

    private sealed record DeviceCase(GpuFlashAttentionTests Fixture, AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            CudaDevice device = Fixture.Device;
            AttentionInputs<T> x = Case.Inputs<T>(seed: 29);
            using DeviceBuffer<T> q = Fixture.Upload(x.Q), k = Fixture.Upload(x.K), v = Fixture.Upload(x.V);
            using var o = DeviceBuffer<T>.Allocate(device, (int)Case.Shape.OutputLength);
            using var lse = DeviceBuffer<float>.Allocate(device, (int)Case.Shape.RowCount);
            CudaFlashAttention.Forward(q, k, v, o, lse, Case.Shape, Case.Options, Fixture.DeviceStream);
            Fixture.DeviceStream.Synchronize();
            AttentionChecks.ForwardResult(Case, x, Download(o), Download(lse), $"GPU {typeof(T).Name} {Case}");
        }
    }
}
