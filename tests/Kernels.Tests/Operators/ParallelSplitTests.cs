using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Operators;

/// <summary>Large calls split over threads give the same bits as one thread, and stay correct.</summary>
[NonParallelizable]
public class ParallelSplitTests
{
    private int _saved;

    [SetUp]
    public void Save() => _saved = KernelThreading.MaxDegreeOfParallelism;

    [TearDown]
    public void Restore() => KernelThreading.MaxDegreeOfParallelism = _saved;

    private static T[] With<T>(int threads, Func<T[]> run)
    {
        KernelThreading.MaxDegreeOfParallelism = threads;
        return run();
    }

    [Test]
    public void ReduceSplitIsBitIdentical([Values(2, 3)] int threads)
    {
        const int n = 1_000_003;
        float[] a = Samples.Uniform<float>(n, 1), b = Samples.Uniform<float>(n, 2);
        float[] Run() { var d = new float[n]; Reduce.Combine<float>(a, b, d, ReduceOp.Sum, 0.5f); return d; }
        float[] split = With(threads, Run);
        Compare.Bitwise<float>(split, With(1, Run), $"{threads} threads");
        Compare.Near<float>(split, Float64Reference.Reduce<float>(a, b, ReduceOp.Sum, 0.5), 1.5, "split reduce vs reference");
    }

    [Test]
    public void AccumulateAndConvertSplitAreBitIdentical([Values(2, 3)] int threads)
    {
        const int n = 777_777;
        BFloat16[] source = Samples.Uniform<BFloat16>(n, 3), start = Samples.Uniform<BFloat16>(n, 4);
        BFloat16[] Accumulate() { var d = (BFloat16[])start.Clone(); Reduce.Accumulate<BFloat16>(d, source, ReduceOp.Max); return d; }
        Compare.Bitwise<BFloat16>(With(threads, Accumulate), With(1, Accumulate), "accumulate");
        float[] wide = Samples.Uniform<float>(n, 5, -1e5f, 1e5f);
        Half[] Convert() { var d = new Half[n]; Conversion.Convert<float, Half>(wide, d, 0.75f); return d; }
        Compare.Bitwise<Half>(With(threads, Convert), With(1, Convert), "convert");
    }

    [Test]
    public void RmsNormSplitByRowsIsBitIdentical([Values(2, 3)] int threads, [Values] bool fused)
    {
        const int rows = 401, cols = 1031; // 3.3 MB moved: above the split threshold
        float[] x = Samples.Uniform<float>(rows * cols, 6), w = Samples.Uniform<float>(cols, 7), residual = Samples.Uniform<float>(rows * cols, 8);
        float[] Run()
        {
            var y = new float[x.Length];
            if (fused) RmsNorm.AddRmsNorm<float>(x, (float[])residual.Clone(), w, y, cols, 1e-6f);
            else RmsNorm.Normalize<float>(x, w, y, cols, 1e-6f);
            return y;
        }
        Compare.Bitwise<float>(With(threads, Run), With(1, Run), $"rows over {threads} threads");
    }
}
