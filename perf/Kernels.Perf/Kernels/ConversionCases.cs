using Kernels.Perf.Core;
using Kernels.Perf.Peers;
using Kernels.Perf.Peers.Scalar;
using Kernels.Perf.Peers.TensorPrimitives;
using static Kernels.Perf.Kernels.CaseBuffers;

namespace Kernels.Perf.Kernels;

/// <summary>
/// Conversion f32 -> bf16 and bf16 -> f32: two streams (read source, write destination), so against
/// copy. TensorPrimitives has no bf16, so the vector peer is a hand-written Vector256 loop.
/// </summary>
public static class ConversionCases
{
    public const int Contenders = 3;

    public static IEnumerable<KernelCase> All(bool quick)
    {
        foreach (long bytes in KernelSizes.OperandBytes(quick))
        {
            yield return ToBFloat16(bytes);
        }
        foreach (long bytes in KernelSizes.OperandBytes(quick))
        {
            yield return ToSingle(bytes);
        }
    }

    /// <summary><paramref name="bytes"/> of f32 source.</summary>
    private static KernelCase ToBFloat16(long bytes)
    {
        int count = (int)(bytes / sizeof(float));
        return new KernelCase("convert", "f32->bf16", bytes, $"{count:N0}", bytes + bytes / 2, "copy", context =>
        {
            NativeBuffer s = First(context, bytes), d = Destination(context, bytes / 2);
            return
            [
                new Contender(Implementations.Ours, () =>
                    Conversion.Convert<float, BFloat16>(s.Span<float>(count), d.Span<BFloat16>(count))),
                new Contender(Implementations.Vector256, () => RangePartition.For(count, 6, context.Threads, 64, (start, length) =>
                    BFloat16Vectors.FromSingle(s.Span<float>(count).Slice(start, length), d.Span<BFloat16>(count).Slice(start, length)))),
                new Contender(Implementations.Scalar, ScalarKernels.Convert<float, BFloat16>(s, d, count, context.Threads)),
            ];
        });
    }

    /// <summary><paramref name="bytes"/> of bf16 source.</summary>
    private static KernelCase ToSingle(long bytes)
    {
        int count = (int)(bytes / 2);
        return new KernelCase("convert", "bf16->f32", bytes, $"{count:N0}", bytes + 2 * bytes, "copy", context =>
        {
            NativeBuffer s = First(context, bytes), d = Destination(context, 2 * bytes);
            return
            [
                new Contender(Implementations.Ours, () =>
                    Conversion.Convert<BFloat16, float>(s.Span<BFloat16>(count), d.Span<float>(count))),
                new Contender(Implementations.Vector256, () => RangePartition.For(count, 6, context.Threads, 64, (start, length) =>
                    BFloat16Vectors.ToSingle(s.Span<BFloat16>(count).Slice(start, length), d.Span<float>(count).Slice(start, length)))),
                new Contender(Implementations.Scalar, ScalarKernels.Convert<BFloat16, float>(s, d, count, context.Threads)),
            ];
        });
    }
}
