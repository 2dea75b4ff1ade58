using Kernels.Collectives;
using Kernels.Cuda;
using Kernels.Cuda.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// NCCL interop: the absent-library path (this machine has no libnccl.so.2), the argument rules checked before any
/// native call, the 128-byte ncclUniqueId crossing the ABI by value, and — where NCCL and two GPUs exist — the
/// collectives against the float64 reference (ignored with the reason otherwise).
/// </summary>
public class NcclCommunicatorTests
{
    [Test]
    public void NcclIsProbedByItsSoname() => Assert.That(CudaLibraries.NcclFiles, Is.EqualTo(new[] { "libnccl.so.2" }));

    [Test]
    public void AbsentNcclIsACudaUnavailableExceptionNamingNccl()
    {
        if (CudaLibraries.Nccl.IsLoaded)
            Assert.Ignore($"NCCL is installed here ({CudaLibraries.Nccl.File}): the absent-library path cannot be exercised");
        var version = Assert.Throws<CudaUnavailableException>(() => _ = NcclCommunicator.Version)!;
        Assert.That(version.Missing, Is.EqualTo(CudaComponent.Nccl));
        Assert.That(version.Message, Does.StartWith("no NCCL").And.Contain("libnccl.so.2"));

        // Create checks the library before it needs a device, so the host communicator is all this path requires.
        Communicator[] host = Communicator.CreateInProcess(1);
        try
        {
            var create = Assert.Throws<CudaUnavailableException>(() => NcclCommunicator.Create(host[0], null!))!;
            Assert.That(create.Missing, Is.EqualTo(CudaComponent.Nccl));
        }
        finally
        {
            host[0].Dispose();
        }
    }

    [Test]
    public void NullHostIsRejectedFirst() =>
        Assert.That(() => NcclCommunicator.Create(null!, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("host"));

    [Test]
    public void UniqueIdIsThe128ByteStructNcclPassesByValue()
    {
        Assert.That(UniqueIdBytes(), Is.EqualTo(NcclConstants.NCCL_UNIQUE_ID_BYTES));
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<CUipcMemHandle>(), Is.EqualTo(64));
        // NCCL 2.14's ncclConfig_t prefix: size_t, two unsigned ints and an int, padded to 8 bytes.
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<ncclConfig_v21400>(), Is.EqualTo(24));
        var parameter = typeof(NcclMethods).GetMethod(nameof(NcclMethods.ncclCommInitRankConfig), System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!.GetParameters()[2];
        Assert.That(parameter.ParameterType, Is.EqualTo(typeof(ncclUniqueId)), "commId is by value, not a pointer");

        static int UniqueIdBytes() => System.Runtime.CompilerServices.Unsafe.SizeOf<ncclUniqueId>();
    }

    [Test]
    public void ElementTypesAndOpsMapToNcclsValues()
    {
        Assert.That(NcclArguments.DataType<float>(), Is.EqualTo(ncclDataType_t.ncclFloat32));
        Assert.That(NcclArguments.DataType<Half>(), Is.EqualTo(ncclDataType_t.ncclFloat16));
        Assert.That(NcclArguments.DataType<BFloat16>(), Is.EqualTo(ncclDataType_t.ncclBfloat16));
        Assert.That(() => NcclArguments.DataType<double>(), Throws.TypeOf<NotSupportedException>());
        Assert.That(NcclArguments.Op(ReduceOp.Sum, "op"), Is.EqualTo(ncclRedOp_t.ncclSum));
        Assert.That(NcclArguments.Op(ReduceOp.Avg, "op"), Is.EqualTo(ncclRedOp_t.ncclAvg));
        Assert.That(NcclArguments.Op(ReduceOp.Max, "op"), Is.EqualTo(ncclRedOp_t.ncclMax));
        Assert.That(NcclArguments.Op(ReduceOp.Min, "op"), Is.EqualTo(ncclRedOp_t.ncclMin));
        Assert.That(() => NcclArguments.Op((ReduceOp)99, "op"), Throws.ArgumentException.With.Property("ParamName").EqualTo("op"));
    }

    [Test]
    public void LengthAndRankRulesNameTheArgument()
    {
        Assert.That(() => NcclArguments.SameLength(7, 7, "receive"), Throws.Nothing);
        Assert.That(() => NcclArguments.SameLength(7, 8, "receive"),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("receive").And.Message.Contain("8 elements"));
        Assert.That(() => NcclArguments.ShardedLength(21, 7, 3, "send"), Throws.Nothing);
        Assert.That(() => NcclArguments.ShardedLength(22, 7, 3, "send"),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("send").And.Message.Contain("size (3) x 7"));
        Assert.That(() => NcclArguments.Rank(3, 3, "root"), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("root"));
        Assert.That(() => NcclArguments.Rank(-1, 3, "peer", self: 0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => NcclArguments.Rank(1, 3, "peer", self: 1), Throws.ArgumentException.With.Property("ParamName").EqualTo("peer"));
        Assert.That(() => NcclArguments.Rank(2, 3, "peer", self: 1), Throws.Nothing);
    }

    /// <summary>Two ranks in this process, one GPU each (NCCL supports a thread per rank), against the float64 reference.</summary>
    [Test]
    public void AllReduceAndAllGatherOnTwoGpusMatchTheReference([Values] ReduceOp op)
    {
        if (!CudaLibraries.Nccl.IsLoaded)
            Assert.Ignore($"no NCCL: {CudaLibraries.Nccl.Description}");
        int devices;
        try
        {
            devices = CudaDevice.Count;
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"no CUDA device: {e.Message}");
            return;
        }
        if (devices < 2)
            Assert.Ignore($"no CUDA device pair: {devices} device(s)");

        const int world = 2, count = 1025;
        float[][] inputs = [Samples.Uniform<float>(count, 1), Samples.Uniform<float>(count, 2)];
        double[] expected = new double[count];
        for (int i = 0; i < count; i++)
        {
            double a = inputs[0][i], b = inputs[1][i];
            expected[i] = op switch { ReduceOp.Sum => a + b, ReduceOp.Avg => (a + b) / 2, ReduceOp.Max => Math.Max(a, b), _ => Math.Min(a, b) };
        }
        Communicator[] host = Communicator.CreateInProcess(world);
        var results = new float[world][];
        var gathered = new float[world][];
        Parallel.For(0, world, new ParallelOptions { MaxDegreeOfParallelism = world }, rank =>
        {
            using var device = CudaDevice.Open(rank);
            using var nccl = NcclCommunicator.Create(host[rank], device);
            using var stream = CudaStream.Create(device);
            using var buffer = DeviceBuffer<float>.Allocate(device, count);
            using var all = DeviceBuffer<float>.Allocate(device, count * world);
            buffer.CopyFrom(inputs[rank]);
            nccl.AllGather(buffer, all, stream);
            nccl.AllReduce(buffer, buffer, op, stream);
            nccl.Synchronize(stream);
            results[rank] = new float[count];
            gathered[rank] = new float[count * world];
            buffer.CopyTo(results[rank]);
            all.CopyTo(gathered[rank]);
        });
        foreach (var comm in host)
            comm.Dispose();
        for (int rank = 0; rank < world; rank++)
        {
            Compare.Near<float>(results[rank], expected, 1, $"{op} rank {rank}");
            Assert.That(gathered[rank], Is.EqualTo(inputs[0].Concat(inputs[1]).ToArray()), $"all-gather rank {rank}");
        }
    }
}
