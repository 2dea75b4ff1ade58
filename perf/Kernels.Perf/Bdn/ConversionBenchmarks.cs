using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Kernels.Perf.Core;
using Kernels.Perf.Peers.TensorPrimitives;

namespace Kernels.Perf.Bdn;

/// <summary>Conversion.Convert f32 &lt;-&gt; bf16 against a Vector256 loop (TensorPrimitives has no bf16).</summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ConversionBenchmarks
{
    private NativeBuffer _single = null!, _half = null!;

    [Params(16_384, 4_194_304, 16_777_216)]
    public int Elements { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _single = new NativeBuffer(Elements * 4L, 1);
        _half = new NativeBuffer(Elements * 2L, 2);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _single.Dispose();
        _half.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("f32->bf16")]
    public void ToBFloat16Vector256() => BFloat16Vectors.FromSingle(_single.Span<float>(Elements), _half.Span<BFloat16>(Elements));

    [Benchmark, BenchmarkCategory("f32->bf16")]
    public void ToBFloat16Kernels() => Conversion.Convert<float, BFloat16>(_single.Span<float>(Elements), _half.Span<BFloat16>(Elements));

    [Benchmark(Baseline = true), BenchmarkCategory("bf16->f32")]
    public void ToSingleVector256() => BFloat16Vectors.ToSingle(_half.Span<BFloat16>(Elements), _single.Span<float>(Elements));

    [Benchmark, BenchmarkCategory("bf16->f32")]
    public void ToSingleKernels() => Conversion.Convert<BFloat16, float>(_half.Span<BFloat16>(Elements), _single.Span<float>(Elements));
}
