using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Kernels.Perf.Core;
using Kernels.Perf.Peers.TensorPrimitives;

namespace Kernels.Perf.Bdn;

/// <summary>Reduce.Combine and Reduce.Accumulate (Sum) against TensorPrimitives, per element type.</summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ReduceBenchmarks
{
    private NativeBuffer _a = null!, _b = null!, _destination = null!;
    private Action _tensorPrimitivesF32 = null!, _tensorPrimitivesBf16 = null!, _tensorPrimitivesAccumulate = null!;

    /// <summary>64 KiB, 16 MiB and 64 MiB of f32.</summary>
    [Params(16_384, 4_194_304, 16_777_216)]
    public int Elements { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        long bytes = Elements * sizeof(float);
        _a = new NativeBuffer(bytes, 1);
        _b = new NativeBuffer(bytes, 2);
        _destination = new NativeBuffer(bytes, 3);
        int threads = KernelThreading.MaxDegreeOfParallelism;
        _tensorPrimitivesF32 = TensorPrimitivesReduce.CombineSum(_a, _b, _destination, Elements, threads);
        _tensorPrimitivesBf16 = TensorPrimitivesReduce.CombineSumBFloat16(_a, _b, _destination, Elements, threads);
        _tensorPrimitivesAccumulate = TensorPrimitivesReduce.AccumulateSum(_destination, _a, Elements, threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
        _destination.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("combine-f32")]
    public void CombineF32TensorPrimitives() => _tensorPrimitivesF32();

    [Benchmark, BenchmarkCategory("combine-f32")]
    public void CombineF32Kernels() =>
        Reduce.Combine<float>(_a.Span<float>(Elements), _b.Span<float>(Elements), _destination.Span<float>(Elements), ReduceOp.Sum);

    [Benchmark(Baseline = true), BenchmarkCategory("combine-bf16")]
    public void CombineBf16TensorPrimitives() => _tensorPrimitivesBf16();

    [Benchmark, BenchmarkCategory("combine-bf16")]
    public void CombineBf16Kernels() =>
        Reduce.Combine<BFloat16>(_a.Span<BFloat16>(Elements), _b.Span<BFloat16>(Elements), _destination.Span<BFloat16>(Elements),
            ReduceOp.Sum);

    [Benchmark(Baseline = true), BenchmarkCategory("accumulate-f32")]
    public void AccumulateF32TensorPrimitives() => _tensorPrimitivesAccumulate();

    [Benchmark, BenchmarkCategory("accumulate-f32")]
    public void AccumulateF32Kernels() =>
        Reduce.Accumulate<float>(_destination.Span<float>(Elements), _a.Span<float>(Elements), ReduceOp.Sum);
}
