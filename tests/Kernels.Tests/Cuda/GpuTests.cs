using System.Runtime.InteropServices;
using Kernels.Cuda;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Real launches: device memory round trips, a kernel of cuda/ compiled for the device and compared with the CPU
/// kernel, event timing, and the checks made before a launch. Ignored with the reason where there is no device.
/// </summary>
public class GpuTests : GpuFixture
{
    /// <summary>C# mirror of kn::ReduceArgs (cuda/reduce.cu): pointers as device addresses, same field order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct ReduceArgs(ulong A, ulong B, ulong Dst, ulong Count, float Scale);

    [Test]
    public void BufferRoundTripsAndChecksLengths()
    {
        float[] values = Samples.Uniform<float>(1025, 1), back = new float[1025];
        using var buffer = DeviceBuffer<float>.Allocate(Device, values.Length);
        buffer.CopyFrom(values);
        buffer.CopyTo(back);
        Assert.That(back, Is.EqualTo(values));
        Assert.That(() => buffer.CopyFrom(new float[3]), Throws.ArgumentException.With.Property("ParamName").EqualTo("source"));
        buffer.Dispose();
        Assert.That(() => buffer.CopyTo(back), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void ReduceKernelMatchesCpuBitForBitAndIsTimed()
    {
        const int n = 6 * 512 + 7;
        float[] a = Samples.Uniform<float>(n, 2), b = Samples.Uniform<float>(n, 3), expected = new float[n], actual = new float[n];
        Reduce.Combine<float>(a, b, expected, ReduceOp.Max, 0.3f);

        CompiledProgram program = new NvrtcCompiler().Compile(CudaKernelSources.Reduce, Device.ComputeCapability.AsVirtual());
        using var module = CudaModule.Load(Device, program);
        CudaKernel kernel = module.GetKernel("kn::reduce_elements<kn::F32Storage, kn::MaxOp>");
        using var da = DeviceBuffer<float>.Allocate(Device, n);
        using var db = DeviceBuffer<float>.Allocate(Device, n);
        using var dd = DeviceBuffer<float>.Allocate(Device, n);
        da.CopyFrom(a);
        db.CopyFrom(b);
        using var stream = CudaStream.Create(Device);
        using var start = CudaEvent.Create(Device);
        using var end = CudaEvent.Create(Device);
        start.Record(stream);
        kernel.Launch(stream, CudaLaunchShape.Linear(4, 256), new ReduceArgs(da.Pointer, db.Pointer, dd.Pointer, n, 0.3f));
        end.Record(stream);
        stream.Synchronize();
        dd.CopyTo(actual);
        Compare.Bitwise<float>(actual, expected, "device reduce_elements<F32, Max>");
        Assert.That(CudaEvent.ElapsedMilliseconds(start, end), Is.GreaterThanOrEqualTo(0f));

        Assert.That(() => kernel.Launch(stream, CudaLaunchShape.Linear(1, 2048), new ReduceArgs()),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("shape"));
        Assert.That(() => module.GetKernel("kn::not_a_kernel"), Throws.ArgumentException.With.Property("ParamName").EqualTo("nameExpression"));
    }

    [Test]
    public void DeviceOperatorsMatchTheCpuOperators()
    {
        const int rows = 7, cols = 4097, n = rows * cols;
        BFloat16[] a = Samples.Uniform<BFloat16>(n, 4), b = Samples.Uniform<BFloat16>(n, 5), w = Samples.Uniform<BFloat16>(cols, 6, low: 0.5f, high: 1.5f);
        using var stream = CudaStream.Create(Device);
        using var da = Upload(a);
        using var db = Upload(b);
        using var dw = Upload(w);
        using var dy = DeviceBuffer<BFloat16>.Allocate(Device, n);
        using var df = DeviceBuffer<float>.Allocate(Device, n);

        CudaReduce.Combine(da, db, dy, ReduceOp.Min, stream, 0.25f);
        CudaConversion.Convert(dy, df, stream, -2f);
        CudaRmsNorm.AddRmsNorm(da, db, dw, da, cols, 1e-6f, stream);
        stream.Synchronize();

        BFloat16[] reduced = new BFloat16[n], residual = new BFloat16[n], normalised = new BFloat16[n];
        float[] converted = new float[n], expectedConverted = new float[n];
        BFloat16[] expectedReduced = new BFloat16[n];
        Reduce.Combine<BFloat16>(a, b, expectedReduced, ReduceOp.Min, 0.25f);
        Conversion.Convert<BFloat16, float>(expectedReduced, expectedConverted, -2f);
        BFloat16[] expectedResidual = a.Zip(b, (p, q) => Values.Round<BFloat16>(Values.ToDouble(p) + Values.ToDouble(q))).ToArray();
        dy.CopyTo(reduced);
        df.CopyTo(converted);
        db.CopyTo(residual);
        da.CopyTo(normalised);
        Compare.Bitwise<BFloat16>(reduced, expectedReduced, "CudaReduce.Combine");
        Compare.Bitwise<float>(converted, expectedConverted, "CudaConversion.Convert");
        Compare.Bitwise<BFloat16>(residual, expectedResidual, "CudaRmsNorm.AddRmsNorm residual");
        Compare.Near<BFloat16>(normalised, Float64Reference.RmsNorm<BFloat16>(expectedResidual, w, cols, 1e-6), 1, "CudaRmsNorm.AddRmsNorm", 2e-6);
    }

    [Test]
    public void DeviceOperatorsRejectBadArgumentsBeforeLaunching()
    {
        using var stream = CudaStream.Create(Device);
        using var four = DeviceBuffer<float>.Allocate(Device, 4);
        using var five = DeviceBuffer<float>.Allocate(Device, 5);
        Assert.That(() => CudaReduce.Combine(four, five, four, ReduceOp.Sum, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("b"));
        Assert.That(() => CudaReduce.Combine(four, four, four, ReduceOp.Avg, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("op"));
        Assert.That(() => CudaReduce.Accumulate(four, four, ReduceOp.Sum, stream, float.NaN), Throws.ArgumentException.With.Property("ParamName").EqualTo("scale"));
        Assert.That(() => CudaConversion.Convert(four, five, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("destination"));
        Assert.That(() => CudaRmsNorm.Normalize(five, four, five, 4, 1e-6f, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => CudaRmsNorm.Normalize(four, four, four, 4, 1e-6f, stream), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
        Assert.That(() => CudaRmsNorm.Normalize(four, four, five, 4, 0f, stream), Throws.ArgumentException);
    }
}
