using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using Kernels.Perf.Peers.TensorPrimitives;

namespace Kernels.Perf.Bdn;

/// <summary>RmsNorm.Normalize and RmsNorm.AddRmsNorm on 4096-wide rows against the TensorPrimitives compositions.</summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RmsNormBenchmarks
{
    private const int Cols = KernelSizes.NormCols;
    private const float Eps = NormCases.Eps;

    private NativeBuffer _x = null!, _residual = null!, _y = null!, _weight = null!;
    private Action _normalizeF32 = null!, _normalizeBf16 = null!, _addNormalizeF32 = null!, _addNormalizeBf16 = null!;

    /// <summary>One row (overhead), 1 MiB and 64 MiB of f32.</summary>
    [Params(1, 64, 4096)]
    public int Rows { get; set; }

    private int Count => Rows * Cols;

    [GlobalSetup]
    public void Setup()
    {
        long bytes = (long)Count * sizeof(float);
        _x = new NativeBuffer(bytes, 1);
        _residual = new NativeBuffer(bytes, 2);
        _y = new NativeBuffer(bytes, 3);
        _weight = new NativeBuffer(Cols * sizeof(float), 4);
        int threads = KernelThreading.MaxDegreeOfParallelism;
        _normalizeF32 = TensorPrimitivesRmsNorm.Normalize(_x, _weight, _y, Rows, Cols, Eps, threads);
        _normalizeBf16 = TensorPrimitivesRmsNorm.NormalizeBFloat16(_x, _weight, _y, Rows, Cols, Eps, threads);
        _addNormalizeF32 = TensorPrimitivesRmsNorm.AddNormalize(_x, _residual, _weight, _y, Rows, Cols, Eps, threads);
        _addNormalizeBf16 = TensorPrimitivesRmsNorm.AddNormalizeBFloat16(_x, _residual, _weight, _y, Rows, Cols, Eps, threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _residual.Dispose();
        _y.Dispose();
        _weight.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("rmsnorm-f32")]
    public void NormalizeF32TensorPrimitives() => _normalizeF32();

    [Benchmark, BenchmarkCategory("rmsnorm-f32")]
    public void NormalizeF32Kernels() =>
        RmsNorm.Normalize<float>(_x.Span<float>(Count), _weight.Span<float>(Cols), _y.Span<float>(Count), Cols, Eps);

    [Benchmark(Baseline = true), BenchmarkCategory("rmsnorm-bf16")]
    public void NormalizeBf16TensorPrimitives() => _normalizeBf16();

    [Benchmark, BenchmarkCategory("rmsnorm-bf16")]
    public void NormalizeBf16Kernels() =>
        RmsNorm.Normalize<BFloat16>(_x.Span<BFloat16>(Count), _weight.Span<BFloat16>(Cols), _y.Span<BFloat16>(Count), Cols, Eps);

    [Benchmark(Baseline = true), BenchmarkCategory("add_rmsnorm-f32")]
    public void AddNormalizeF32TensorPrimitives() => _addNormalizeF32();

    [Benchmark, BenchmarkCategory("add_rmsnorm-f32")]
    public void AddNormalizeF32Kernels() =>
        RmsNorm.AddRmsNorm<float>(_x.Span<float>(Count), _residual.Span<float>(Count), _weight.Span<float>(Cols), _y.Span<float>(Count),
            Cols, Eps);

    [Benchmark(Baseline = true), BenchmarkCategory("add_rmsnorm-bf16")]
    public void AddNormalizeBf16TensorPrimitives() => _addNormalizeBf16();

    [Benchmark, BenchmarkCategory("add_rmsnorm-bf16")]
    public void AddNormalizeBf16Kernels() =>
        RmsNorm.AddRmsNorm<BFloat16>(_x.Span<BFloat16>(Count), _residual.Span<BFloat16>(Count), _weight.Span<BFloat16>(Cols),
            _y.Span<BFloat16>(Count), Cols, Eps);
}
