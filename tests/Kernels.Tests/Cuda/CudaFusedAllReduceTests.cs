using Kernels.Collectives;
using Kernels.Cuda;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// CudaFusedAllReduce's argument rules, checked before a device or the driver is needed. The kernel itself is
/// verified under the emulator (EmulatedFusedAllReduceNormTests) and by the NVRTC/ptxas compile tests. On a GPU the
/// whole path (workspace, IPC export, launch, status word) runs with one rank; more ranks need one process per GPU
/// (IPC handles do not open in the process that exported them). Ignored with the reason where there is no device.
/// </summary>
public class CudaFusedAllReduceTests
{
    [Test]
    public void CreationRulesComeBeforeTheDevice()
    {
        Communicator[] nine = Communicator.CreateInProcess(CudaFusedAllReduce.MaxRanks + 1);
        Communicator[] one = Communicator.CreateInProcess(1);
        try
        {
            Assert.That(() => CudaFusedAllReduce.Create(null!, null!, 1024), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("host"));
            Assert.That(() => CudaFusedAllReduce.Create(one[0], null!, 0),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacityBytes"));
            Assert.That(() => CudaFusedAllReduce.Create(one[0], null!, CudaFusedAllReduce.MaxCapacityBytes + 1),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("capacityBytes"));
            Assert.That(() => CudaFusedAllReduce.Create(nine[0], null!, 1024),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("host").And.Message.Contain("at most 8"));
            Assert.That(() => CudaFusedAllReduce.Create(one[0], null!, 1024, oneShotLimitBytes: -1),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("oneShotLimitBytes"));
            Assert.That(() => CudaFusedAllReduce.Create(one[0], null!, 1024), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("device"));
        }
        finally
        {
            foreach (var comm in nine.Concat(one))
                comm.Dispose();
        }
    }

    [Test]
    public void ShapeRulesNameTheArgument()
    {
        Assert.That(CudaFusedAllReduce.CheckShape(21, 21, 7, 21, 7, 1e-6f, 2, 42), Is.EqualTo(42));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 21, 7, 21, 0, 1e-6f, 2, 1000), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("cols"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 21, 7, 21, 7, 0f, 2, 1000), Throws.ArgumentException.With.Property("ParamName").EqualTo("eps"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 21, 7, 21, 7, float.NaN, 2, 1000), Throws.ArgumentException.With.Property("ParamName").EqualTo("eps"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(22, 22, 7, 22, 7, 1e-6f, 2, 1000), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 14, 7, 21, 7, 1e-6f, 2, 1000), Throws.ArgumentException.With.Property("ParamName").EqualTo("residual"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 21, 7, 14, 7, 1e-6f, 2, 1000), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 21, 8, 21, 7, 1e-6f, 2, 1000), Throws.ArgumentException.With.Property("ParamName").EqualTo("weight"));
        Assert.That(() => CudaFusedAllReduce.CheckShape(21, 21, 7, 21, 7, 1e-6f, 2, 41),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contain("41 bytes"));
    }

    /// <summary>One rank: the all-reduce is the identity, so the result is add + RMSNorm of x (float64 reference), on both
    /// algorithms, waiting synchronously or asynchronously.</summary>
    [Test]
    public async Task OneRankOnAGpuIsAddRmsNorm([Values(64L, 1L << 20)] long oneShotLimitBytes, [Values] bool wait)
    {
        CudaDevice device;
        try
        {
            device = CudaDevice.Open(0);
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"no CUDA device: {e.Message}");
            return;
        }
        const int rows = 7, cols = 4096;
        float[] x = Samples.Uniform<float>(rows * cols, 1), residual = Samples.Uniform<float>(rows * cols, 2);
        float[] weight = Samples.Uniform<float>(cols, 3, low: 0.5f, high: 1.5f);
        float[] expectedResidual = x.Zip(residual, (a, b) => (float)((double)a + b)).ToArray();
        double[] expectedY = Float64Reference.RmsNorm<float>(expectedResidual, weight, cols, 1e-6);
        Communicator[] host = Communicator.CreateInProcess(1);
        try
        {
            using var fused = CudaFusedAllReduce.Create(host[0], device, rows * cols * sizeof(float), oneShotLimitBytes);
            using var stream = CudaStream.Create(device);
            using var dx = DeviceBuffer<float>.Allocate(device, x.Length);
            using var dr = DeviceBuffer<float>.Allocate(device, x.Length);
            using var dw = DeviceBuffer<float>.Allocate(device, cols);
            using var dy = DeviceBuffer<float>.Allocate(device, x.Length);
            dx.CopyFrom(x);
            dr.CopyFrom(residual);
            dw.CopyFrom(weight);
            fused.AllReduceAddRmsNorm(dx, dr, dw, dy, cols, 1e-6f, stream);
            if (wait)
                fused.Synchronize(stream);
            else
                await fused.SynchronizeAsync(stream);
            float[] gotResidual = new float[x.Length], gotY = new float[x.Length];
            dr.CopyTo(gotResidual);
            dy.CopyTo(gotY);
            Compare.Bitwise<float>(gotResidual, expectedResidual, "residual");
            Compare.Near<float>(gotY, expectedY, 1, "y", 2e-6);
        }
        finally
        {
            host[0].Dispose();
            device.Dispose();
        }
    }
}
