using System.Runtime.CompilerServices;
using Kernels.Interop;

namespace Kernels.Collectives.Algorithms;

/// <summary>
/// Reduces n equally long inputs in the fixed order <c>((x0 op x1) op x2) ... op x(n-1)</c>, in fp32, multiplies by the
/// scale and rounds once to the element type. This order is what makes results bitwise identical on every rank and
/// every run: each output element is computed exactly once, by one rank, with one sequence of fp32 operations.
/// </summary>
/// <remarks>
/// Works in blocks small enough that the fp32 accumulator stays in L1 and is written to the destination only after
/// every input of the block has been read, so the destination may be exactly one of the inputs (the two-shot
/// algorithm reduces a rank's own piece in place). Single-threaded native calls: the ranks are the parallelism.
/// </remarks>
internal static unsafe class OrderedReduction
{
    private const int BlockElements = 2048; // two 8 KiB fp32 blocks

    /// <param name="dtype">Element type of the sources and the destination.</param>
    /// <param name="elementSize">Bytes per element of <paramref name="dtype"/>.</param>
    /// <param name="op">Sum, Max or Min (Avg is Sum with scale 1/n).</param>
    /// <param name="sources">One pointer per input, in reduction order.</param>
    /// <param name="destination">May equal one of the sources; must not partially overlap any.</param>
    /// <param name="count">Elements per input.</param>
    /// <param name="scale">Applied to the final fp32 value before rounding (1 skips the multiply).</param>
    /// <remarks>The 16 KiB of blocks are not zeroed: every element is written before it is read, and an 8-byte
    /// all-reduce would otherwise clear 16 KiB per call.</remarks>
    [SkipLocalsInit]
    internal static void Reduce(kn_dtype dtype, int elementSize, kn_reduce_op op, ReadOnlySpan<nint> sources,
        byte* destination, long count, float scale)
    {
        float* accumulator = stackalloc float[BlockElements];
        float* widened = stackalloc float[BlockElements];
        for (long start = 0; start < count; start += BlockElements)
        {
            nuint length = (nuint)Math.Min(BlockElements, count - start);
            long byteOffset = start * elementSize;
            byte* output = destination + byteOffset;
            if (sources.Length == 1)
            {
                Native.Check(NativeMethods.kn_convert(dtype, (byte*)sources[0] + byteOffset, dtype, output, length, scale));
            }
            else if (dtype == kn_dtype.KN_F32)
            {
                ReduceFloatBlock(op, sources, byteOffset, accumulator, output, length, scale);
            }
            else
            {
                Native.Check(NativeMethods.kn_convert(dtype, (byte*)sources[0] + byteOffset, kn_dtype.KN_F32, accumulator, length, 1f));
                for (int i = 1; i < sources.Length; i++)
                {
                    Native.Check(NativeMethods.kn_convert(dtype, (byte*)sources[i] + byteOffset, kn_dtype.KN_F32, widened, length, 1f));
                    Native.Check(NativeMethods.kn_reduce_accumulate(kn_dtype.KN_F32, op, accumulator, widened, length, 1f));
                }
                Native.Check(NativeMethods.kn_convert(kn_dtype.KN_F32, accumulator, dtype, output, length, scale));
            }
        }
    }

    /// <summary>fp32 needs no widening: the last operation writes the destination directly, with the scale.</summary>
    private static void ReduceFloatBlock(kn_reduce_op op, ReadOnlySpan<nint> sources, long byteOffset,
        float* accumulator, byte* output, nuint length, float scale)
    {
        int last = sources.Length - 1;
        if (last == 1)
        {
            Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, (byte*)sources[0] + byteOffset, (byte*)sources[1] + byteOffset, output, length, scale));
            return;
        }
        Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, (byte*)sources[0] + byteOffset, (byte*)sources[1] + byteOffset, accumulator, length, 1f));
        for (int i = 2; i < last; i++)
        {
            Native.Check(NativeMethods.kn_reduce_accumulate(kn_dtype.KN_F32, op, accumulator, (byte*)sources[i] + byteOffset, length, 1f));
        }
        Native.Check(NativeMethods.kn_reduce(kn_dtype.KN_F32, op, accumulator, (byte*)sources[last] + byteOffset, output, length, scale));
    }
}
