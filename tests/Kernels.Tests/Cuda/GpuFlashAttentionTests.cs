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
public class GpuFlashAttentionTests : GpuFixture
{
    private static readonly AttentionCase[] Cases =
    [
        AttentionCase.Of("gqa-causal", 2, 1025, 1025, 4, 2, 128, causal: true),
        AttentionCase.Of("causal-long-q-window", 1, 300, 257, 2, 1, 64, causal: true, windowLeft: 40),
        AttentionCase.Of("softcap", 1, 97, 513, 2, 2, 64, softcap: 1.5f, scale: 0.5f),
    ];

    public static IEnumerable<TestCaseData> CaseData() =>
        from storage in new[] { Storage.F16, Storage.BF16 }
        from c in Cases
        select new TestCaseData(storage, c).SetArgDisplayNames(storage.ToString(), c.Name);

    [TestCaseSource(nameof(CaseData))]
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
            using DeviceBuffer<T> q = Upload(device, x.Q), k = Upload(device, x.K), v = Upload(device, x.V);
            using var o = DeviceBuffer<T>.Allocate(device, (int)Case.Shape.OutputLength);
            using var lse = DeviceBuffer<float>.Allocate(device, (int)Case.Shape.RowCount);
            CudaFlashAttention.Forward(q, k, v, o, lse, Case.Shape, Case.Options, Fixture.DeviceStream);
            Fixture.DeviceStream.Synchronize();
            var hostO = new T[o.Length];
            var hostLse = new float[lse.Length];
            o.CopyTo(hostO);
            lse.CopyTo(hostLse);
            AttentionChecks.ForwardResult(Case, x, hostO, hostLse, $"GPU {typeof(T).Name} {Case}");
        }
    }

    /// <summary>A device copy of <paramref name="values"/>.</summary>
    internal static DeviceBuffer<T> Upload<T>(CudaDevice device, T[] values) where T : unmanaged
    {
        var buffer = DeviceBuffer<T>.Allocate(device, values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }
}
