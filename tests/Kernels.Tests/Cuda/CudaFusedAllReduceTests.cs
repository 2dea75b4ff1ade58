using Kernels.Collectives;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// CudaFusedAllReduce's argument rules, checked before a device or the driver is needed. The kernel itself is
/// verified under the emulator (EmulatedFusedAllReduceNormTests) and by the NVRTC/ptxas compile tests; a GPU run
/// needs one process per GPU (IPC handles do not open in the process that exported them).
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
}
