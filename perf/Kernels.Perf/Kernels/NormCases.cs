using Kernels.Perf.Core;
using Kernels.Perf.Peers.OnnxRuntime;
using Kernels.Perf.Peers.Scalar;
using Kernels.Perf.Peers.TensorPrimitives;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Kernels;

/// <summary>
/// RmsNorm.Normalize (read x, write y: against copy) and RmsNorm.AddRmsNorm (read x, read and write
/// the residual, write y: four streams, against triad, the closest probe) on 4096-wide rows, f32 and
/// bf16; the weight row (read once per thread, cache-resident) is counted once.
/// </summary>
public static class NormCases
{
    public const int Contenders = 4;
    public const float Eps = 1e-6f;

    public static IEnumerable<KernelCase> All(bool quick, OrtNormPeer ort)
    {
        foreach (ElementType type in new[] { ElementType.F32, ElementType.BF16 })
        {
            foreach (int rows in KernelSizes.NormRows(quick, type))
            {
                yield return Normalize(type, rows, ort);
            }
        }
        foreach (ElementType type in new[] { ElementType.F32, ElementType.BF16 })
        {
            foreach (int rows in KernelSizes.NormRows(quick, type))
            {
                yield return AddNormalize(type, rows, ort);
            }
        }
    }

    private static KernelCase Normalize(ElementType type, int rows, OrtNormPeer ort)
    {
        const int cols = KernelSizes.NormCols;
        long bytes = (long)rows * cols * type.Size, weightBytes = (long)cols * type.Size;
        return new KernelCase("rmsnorm", type.Name, bytes, $"{rows} x {cols}", 2 * bytes + weightBytes, "copy", context =>
        {
            NativeBuffer x = First(context, bytes), y = Destination(context, bytes), w = Weight(context, weightBytes);
            int n = rows * cols;
            return type == ElementType.F32
                ?
                [
                    new Contender(Implementations.Ours, () =>
                        RmsNorm.Normalize<float>(x.Span<float>(n), w.Span<float>(cols), y.Span<float>(n), cols, Eps)),
                    new Contender(Implementations.TensorPrimitives,
                        TensorPrimitivesRmsNorm.Normalize(x, w, y, rows, cols, Eps, context.Threads)),
                    ort.Normalize(type, x, w, y, rows),
                    new Contender(Implementations.Scalar, ScalarKernels.Normalize<float>(x, w, y, rows, cols, Eps, context.Threads)),
                ]
                :
                [
                    new Contender(Implementations.Ours, () =>
                        RmsNorm.Normalize<BFloat16>(x.Span<BFloat16>(n), w.Span<BFloat16>(cols), y.Span<BFloat16>(n), cols, Eps)),
                    new Contender(Implementations.TensorPrimitives,
                        TensorPrimitivesRmsNorm.NormalizeBFloat16(x, w, y, rows, cols, Eps, context.Threads)),
                    ort.Normalize(type, x, w, y, rows),
                    new Contender(Implementations.Scalar, ScalarKernels.Normalize<BFloat16>(x, w, y, rows, cols, Eps, context.Threads)),
                ];
        });
    }

    private static KernelCase AddNormalize(ElementType type, int rows, OrtNormPeer ort)
    {
        const int cols = KernelSizes.NormCols;
        long bytes = (long)rows * cols * type.Size, weightBytes = (long)cols * type.Size;
        return new KernelCase("add_rmsnorm", type.Name, bytes, $"{rows} x {cols}", 4 * bytes + weightBytes, "triad", context =>
        {
            NativeBuffer x = First(context, bytes), r = Second(context, bytes), y = Destination(context, bytes);
            NativeBuffer sum = SeparateSum(context, bytes), w = Weight(context, weightBytes);
            int n = rows * cols;
            return type == ElementType.F32
                ?
                [
                    new Contender(Implementations.Ours, () =>
                        RmsNorm.AddRmsNorm<float>(x.Span<float>(n), r.Span<float>(n), w.Span<float>(cols), y.Span<float>(n), cols, Eps)),
                    new Contender(Implementations.TensorPrimitives,
                        TensorPrimitivesRmsNorm.AddNormalize(x, r, w, y, rows, cols, Eps, context.Threads)),
                    ort.AddNormalize(type, x, r, w, y, sum, rows),
                    new Contender(Implementations.Scalar, ScalarKernels.AddNormalize<float>(x, r, w, y, rows, cols, Eps, context.Threads)),
                ]
                :
                [
                    new Contender(Implementations.Ours, () =>
                        RmsNorm.AddRmsNorm<BFloat16>(x.Span<BFloat16>(n), r.Span<BFloat16>(n), w.Span<BFloat16>(cols),
                            y.Span<BFloat16>(n), cols, Eps)),
                    new Contender(Implementations.TensorPrimitives,
                        TensorPrimitivesRmsNorm.AddNormalizeBFloat16(x, r, w, y, rows, cols, Eps, context.Threads)),
                    ort.AddNormalize(type, x, r, w, y, sum, rows),
                    new Contender(Implementations.Scalar,
                        ScalarKernels.AddNormalize<BFloat16>(x, r, w, y, rows, cols, Eps, context.Threads)),
                ];
        });
    }
}
