using Kernels.Perf.Core;
using Tp = System.Numerics.Tensors.TensorPrimitives;

namespace Kernels.Perf.Peers.TensorPrimitives;

/// <summary>The reduce kernels written with TensorPrimitives, split over threads like ours.</summary>
public static class TensorPrimitivesReduce
{
    /// <summary>Elements converted per step in the bf16 path: three f32 chunks stay in L1.</summary>
    private const int Bf16Chunk = 1024;

    public static Action CombineSum(NativeBuffer a, NativeBuffer b, NativeBuffer destination, int count, int threads) =>
        () => RangePartition.For(count, 3 * sizeof(float), threads, 64, (start, length) =>
            Tp.Add(a.Span<float>(count).Slice(start, length), b.Span<float>(count).Slice(start, length),
                destination.Span<float>(count).Slice(start, length)));

    public static Action AccumulateSum(NativeBuffer destination, NativeBuffer source, int count, int threads) =>
        () => RangePartition.For(count, 3 * sizeof(float), threads, 64, (start, length) =>
        {
            Span<float> d = destination.Span<float>(count).Slice(start, length);
            Tp.Add(d, source.Span<float>(count).Slice(start, length), d);
        });

    /// <summary>TensorPrimitives has no bf16: widen chunks to f32, add, round back.</summary>
    public static Action CombineSumBFloat16(NativeBuffer a, NativeBuffer b, NativeBuffer destination, int count, int threads) =>
        () => RangePartition.For(count, 3 * 2, threads, 64, (start, length) =>
        {
            Span<float> fa = stackalloc float[Bf16Chunk];
            Span<float> fb = stackalloc float[Bf16Chunk];
            ReadOnlySpan<BFloat16> sa = a.Span<BFloat16>(count).Slice(start, length);
            ReadOnlySpan<BFloat16> sb = b.Span<BFloat16>(count).Slice(start, length);
            Span<BFloat16> sd = destination.Span<BFloat16>(count).Slice(start, length);
            for (int i = 0; i < length; i += Bf16Chunk)
            {
                int n = Math.Min(Bf16Chunk, length - i);
                BFloat16Vectors.ToSingle(sa.Slice(i, n), fa);
                BFloat16Vectors.ToSingle(sb.Slice(i, n), fb);
                Tp.Add(fa[..n], fb[..n], fa);
                BFloat16Vectors.FromSingle(fa[..n], sd.Slice(i, n));
            }
        });
}
