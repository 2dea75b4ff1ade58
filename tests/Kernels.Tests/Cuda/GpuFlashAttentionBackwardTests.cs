using Kernels.Attention;
using Kernels.Cuda;
using Kernels.Tests.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// <see cref="CudaFlashAttention.Backward{T}"/> on a real GPU against the float64 analytic gradients with the CPU backward
/// tests' tolerances (o and lse from the CPU forward), and its buffer checks. Ignored with the reason where there is no
/// device.
/// </summary>
public class GpuFlashAttentionBackwardTests : GpuFlashAttentionFixture
{
    [TestCaseSource(typeof(GpuFlashAttentionFixture), nameof(CaseData))]
    public void MatchesFloat64Gradients(Storage storage, AttentionCase c) => storage.Run(new DeviceCase(this, c));

    [Test]
    public void BufferChecksComeBeforeTheLaunch()
    {
        var shape = new AttentionShape(1, 7, 7, 1, 1, 64);
        using var x = DeviceBuffer<Half>.Allocate(Device, (int)shape.QueryLength);
        using var dq = DeviceBuffer<Half>.Allocate(Device, (int)shape.QueryLength);
        using var dk = DeviceBuffer<Half>.Allocate(Device, (int)shape.KeyLength);
        using var dv = DeviceBuffer<Half>.Allocate(Device, (int)shape.ValueLength);
        using var shortDo = DeviceBuffer<Half>.Allocate(Device, (int)shape.OutputLength - 1);
        using var lse = DeviceBuffer<float>.Allocate(Device, (int)shape.RowCount);
        using var shortLse = DeviceBuffer<float>.Allocate(Device, (int)shape.RowCount - 1);
        Assert.That(() => CudaFlashAttention.Backward(x, x, x, x, lse, shortDo, dq, dk, dv, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("dO"));
        Assert.That(() => CudaFlashAttention.Backward(x, x, x, x, shortLse, x, dq, dk, dv, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("lse"));
        Assert.That(() => CudaFlashAttention.Backward(x, x, x, x, lse, x, x, dk, dv, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("dq").And.Message.Contains("same buffer as q"));
        Assert.That(() => CudaFlashAttention.Backward(x, x, x, x, lse, x, dq, dk, dk, shape, null, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("dk").And.Message.Contains("same buffer as dv"));
    }

    private sealed record DeviceCase(GpuFlashAttentionBackwardTests Fixture, AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            CudaDevice device = Fixture.Device;
            AttentionShape s = Case.Shape;
            AttentionInputs<T> x = Case.Inputs<T>(seed: 31);
            var hostO = new T[s.OutputLength];
            var hostLse = new float[s.RowCount];
            FlashAttention.Forward<T>(x.Q, x.K, x.V, hostO, hostLse, s, Case.Options);
            using DeviceBuffer<T> q = Fixture.Upload(x.Q), k = Fixture.Upload(x.K);
            using DeviceBuffer<T> v = Fixture.Upload(x.V), o = Fixture.Upload(hostO);
            using DeviceBuffer<T> dO = Fixture.Upload(x.DO);
            using DeviceBuffer<float> lse = Fixture.Upload(hostLse);
            using var dq = DeviceBuffer<T>.Allocate(device, (int)s.QueryLength);
            using var dk = DeviceBuffer<T>.Allocate(device, (int)s.KeyLength);
            using var dv = DeviceBuffer<T>.Allocate(device, (int)s.ValueLength);
            CudaFlashAttention.Backward(q, k, v, o, lse, dO, dq, dk, dv, s, Case.Options, Fixture.DeviceStream);
            Fixture.DeviceStream.Synchronize();
            AttentionChecks.BackwardResult(Case, x, Download(dq), Download(dk), Download(dv), AttentionChecks.BackwardTolerance<T>(), $"GPU {typeof(T).Name} {Case}");
        }
    }
}
