using NUnit.Framework;

namespace Kernels.Tests.Operators;

/// <summary>Every bad-input rule: an ArgumentException naming the argument, thrown before native code runs, outputs untouched.</summary>
public class BadInputTests
{
    private const float Sentinel = 12345f;

    private static float[] Output(int n) => Enumerable.Repeat(Sentinel, n).ToArray();

    private static void AssertRejected<TException>(TestDelegate call, string parameter, params float[][] outputs) where TException : ArgumentException
    {
        var exception = Assert.Throws<TException>(call)!;
        Assert.That(exception.ParamName, Is.EqualTo(parameter), exception.Message);
        foreach (float[] output in outputs)
        {
            Assert.That(output, Is.All.EqualTo(Sentinel), "an output changed although the call was rejected");
        }
    }

    [Test]
    public void ReduceRejectsMismatchedLengths()
    {
        float[] a = new float[8], b = new float[7], d = Output(8);
        AssertRejected<ArgumentException>(() => Reduce.Combine<float>(a, b, d, ReduceOp.Sum), "b", d);
        float[] shortDestination = Output(7);
        AssertRejected<ArgumentException>(() => Reduce.Combine<float>(a, a, shortDestination, ReduceOp.Sum), "destination", shortDestination);
        AssertRejected<ArgumentException>(() => Reduce.Accumulate<float>(d, b, ReduceOp.Sum), "source", d);
    }

    [Test]
    public void ReduceRejectsPartialOverlapButAllowsExactAliasing()
    {
        float[] buffer = Output(16);
        AssertRejected<ArgumentException>(() => Reduce.Combine<float>(buffer.AsSpan(0, 8), new float[8], buffer.AsSpan(1, 8), ReduceOp.Sum), "destination");
        AssertRejected<ArgumentException>(() => Reduce.Accumulate<float>(buffer.AsSpan(0, 8), buffer.AsSpan(4, 8), ReduceOp.Sum), "destination");
        Assert.That(buffer, Is.All.EqualTo(Sentinel));
        Assert.DoesNotThrow(() => Reduce.Accumulate<float>(buffer, buffer, ReduceOp.Max));
    }

    [Test]
    public void ReduceRejectsAvgUndefinedOpsAndNonFiniteScale()
    {
        float[] a = new float[4], d = Output(4);
        AssertRejected<ArgumentException>(() => Reduce.Combine<float>(a, a, d, ReduceOp.Avg), "op", d);
        AssertRejected<ArgumentException>(() => Reduce.Combine<float>(a, a, d, (ReduceOp)42), "op", d);
        AssertRejected<ArgumentOutOfRangeException>(() => Reduce.Combine<float>(a, a, d, ReduceOp.Sum, float.NaN), "scale", d);
        AssertRejected<ArgumentOutOfRangeException>(() => Reduce.Accumulate<float>(d, a, ReduceOp.Sum, float.PositiveInfinity), "scale", d);
    }

    [Test]
    public void UnsupportedElementTypeIsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => Reduce.Combine<double>(new double[2], new double[2], new double[2], ReduceOp.Sum));
        Assert.Throws<NotSupportedException>(() => Conversion.Convert<int, float>(new int[2], new float[2]));
    }

    [Test]
    public void ConvertRejectsMismatchOverlapAndScale()
    {
        float[] source = new float[8];
        var shortDestination = new Half[7];
        Assert.That(Assert.Throws<ArgumentException>(() => Conversion.Convert<float, Half>(source, shortDestination))!.ParamName, Is.EqualTo("destination"));
        // float -> Half over the same memory would overwrite inputs not yet read.
        byte[] raw = new byte[32];
        var asFloat = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw.AsSpan());
        Assert.That(Assert.Throws<ArgumentException>(() => Conversion.Convert<float, Half>(
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw.AsSpan(0, 16)),
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(raw.AsSpan(0, 8))))!.ParamName, Is.EqualTo("destination"));
        Assert.That(asFloat.ToArray(), Is.All.EqualTo(0f));
        float[] output = Output(8);
        AssertRejected<ArgumentOutOfRangeException>(() => Conversion.Convert<float, float>(source, output, float.NegativeInfinity), "scale", output);
    }

    [Test]
    public void RmsNormRejectsShapeMismatches()
    {
        float[] x = new float[12], w = new float[4], y = Output(12);
        AssertRejected<ArgumentException>(() => RmsNorm.Normalize<float>(x, w, y, cols: 5, eps: 1e-6f), "x", y);
        AssertRejected<ArgumentException>(() => RmsNorm.Normalize<float>(x, new float[3], y, cols: 4, eps: 1e-6f), "weight", y);
        float[] shortY = Output(11);
        AssertRejected<ArgumentException>(() => RmsNorm.Normalize<float>(x, w, shortY, cols: 4, eps: 1e-6f), "y", shortY);
        AssertRejected<ArgumentException>(() => RmsNorm.Normalize<float>(x, w, y, rows: 2, cols: 4, eps: 1e-6f), "x", y);
        AssertRejected<ArgumentOutOfRangeException>(() => RmsNorm.Normalize<float>(x, w, y, rows: 1 << 20, cols: 1 << 12, eps: 1e-6f), "rows", y);
        AssertRejected<ArgumentOutOfRangeException>(() => RmsNorm.Normalize<float>(x, w, y, rows: -1, cols: 4, eps: 1e-6f), "rows", y);
        AssertRejected<ArgumentOutOfRangeException>(() => RmsNorm.Normalize<float>(x, w, y, cols: 0, eps: 1e-6f), "cols", y);
    }

    [TestCase(0f)]
    [TestCase(-1e-6f)]
    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void RmsNormRejectsEpsThatIsNotFiniteAndPositive(float eps)
    {
        float[] x = new float[8], w = new float[4], y = Output(8), residual = Output(8);
        AssertRejected<ArgumentOutOfRangeException>(() => RmsNorm.Normalize<float>(x, w, y, cols: 4, eps), "eps", y);
        AssertRejected<ArgumentOutOfRangeException>(() => RmsNorm.AddRmsNorm<float>(x, residual, w, y, cols: 4, eps), "eps", y, residual);
    }

    [Test]
    public void AddRmsNormRejectsMismatchesAndOverlaps()
    {
        float[] x = new float[8], w = new float[4], y = Output(8), residual = Output(8);
        AssertRejected<ArgumentException>(() => RmsNorm.AddRmsNorm<float>(x, residual.AsSpan(0, 7), w, y, cols: 4, eps: 1e-6f), "residual", y, residual);
        AssertRejected<ArgumentException>(() => RmsNorm.AddRmsNorm<float>(x, residual, new float[5], y, cols: 4, eps: 1e-6f), "weight", y, residual);
        AssertRejected<ArgumentException>(() => RmsNorm.AddRmsNorm<float>(x, residual, w, residual, cols: 4, eps: 1e-6f), "y", residual);
        float[] overlapping = Output(10);
        AssertRejected<ArgumentException>(() => RmsNorm.AddRmsNorm<float>(overlapping.AsSpan(0, 8), residual, w, overlapping.AsSpan(2, 8), rows: 2, cols: 4, eps: 1e-6f), "y", overlapping, residual);
        float[] shared = Output(16);
        AssertRejected<ArgumentException>(() => RmsNorm.AddRmsNorm<float>(shared.AsSpan(0, 8), shared.AsSpan(4, 8), w, y, cols: 4, eps: 1e-6f), "residual", shared, y);
        AssertRejected<ArgumentException>(() => RmsNorm.AddRmsNorm<float>(x, residual, shared.AsSpan(0, 4), shared.AsSpan(2, 8), cols: 4, eps: 1e-6f), "y", shared, residual);
    }

    [Test]
    public void RmsNormRejectsWeightOverlappingOutput()
    {
        float[] x = new float[8], buffer = Output(12);
        AssertRejected<ArgumentException>(() => RmsNorm.Normalize<float>(x, buffer.AsSpan(0, 4), buffer.AsSpan(2, 8), cols: 4, eps: 1e-6f), "y", buffer);
    }

    [Test]
    public void EmptyInputsAreNoOps()
    {
        Assert.DoesNotThrow(() => Reduce.Combine<float>([], [], [], ReduceOp.Sum));
        Assert.DoesNotThrow(() => RmsNorm.Normalize<float>([], new float[4], [], cols: 4, eps: 1e-6f));
        Assert.DoesNotThrow(() => Conversion.Convert<float, BFloat16>([], []));
    }
}
