using Kernels.Perf.Core;
using Kernels.Perf.Peers.Scalar;
using Kernels.Perf.Peers.TensorPrimitives;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Kernels;

/// <summary>
/// Reduce.Combine (Sum) in f32 and bf16 and Reduce.Accumulate (Sum) in f32. Three streams each
/// (read a, read b, write destination / read+write destination, read source), so against triad.
/// </summary>
public static class ReduceCases
{
    public const int Contenders = 3;

    public static IEnumerable<KernelCase> All(bool quick)
    {
        foreach (long bytes in KernelSizes.OperandBytes(quick))
        {
            yield return Combine(ElementType.F32, bytes);
        }
        foreach (long bytes in KernelSizes.OperandBytes(quick))
        {
            yield return Combine(ElementType.BF16, bytes);
        }
        foreach (long bytes in KernelSizes.OperandBytes(quick))
        {
            yield return Accumulate(bytes);
        }
    }

    private static KernelCase Combine(ElementType type, long bytes)
    {
        int count = (int)(bytes / type.Size);
        return new KernelCase("reduce.combine", type.Name, bytes, $"{count:N0}", 3 * bytes, "triad", context =>
        {
            NativeBuffer a = First(context, bytes), b = Second(context, bytes), d = Destination(context, bytes);
            return type == ElementType.F32
                ?
                [
                    new Contender(Implementations.Ours, () =>
                        Reduce.Combine<float>(a.Span<float>(count), b.Span<float>(count), d.Span<float>(count), ReduceOp.Sum)),
                    new Contender(Implementations.TensorPrimitives, TensorPrimitivesReduce.CombineSum(a, b, d, count, context.Threads)),
                    new Contender(Implementations.Scalar, ScalarKernels.CombineSum<float>(a, b, d, count, context.Threads)),
                ]
                :
                [
                    new Contender(Implementations.Ours, () =>
                        Reduce.Combine<BFloat16>(a.Span<BFloat16>(count), b.Span<BFloat16>(count), d.Span<BFloat16>(count), ReduceOp.Sum)),
                    new Contender(Implementations.TensorPrimitives,
                        TensorPrimitivesReduce.CombineSumBFloat16(a, b, d, count, context.Threads)),
                    new Contender(Implementations.Scalar, ScalarKernels.CombineSum<BFloat16>(a, b, d, count, context.Threads)),
                ];
        });
    }

    private static KernelCase Accumulate(long bytes)
    {
        int count = (int)(bytes / sizeof(float));
        return new KernelCase("reduce.accumulate", ElementType.F32.Name, bytes, $"{count:N0}", 3 * bytes, "triad", context =>
        {
            NativeBuffer d = Destination(context, bytes), s = First(context, bytes);
            return
            [
                new Contender(Implementations.Ours, () =>
                    Reduce.Accumulate<float>(d.Span<float>(count), s.Span<float>(count), ReduceOp.Sum)),
                new Contender(Implementations.TensorPrimitives, TensorPrimitivesReduce.AccumulateSum(d, s, count, context.Threads)),
                new Contender(Implementations.Scalar, ScalarKernels.AccumulateSum<float>(d, s, count, context.Threads)),
            ];
        });
    }
}
