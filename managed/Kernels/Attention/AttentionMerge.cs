using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// The exact combination of two attention results computed over disjoint sets of keys (split-KV decoding, ring
/// attention): <c>lse = log(exp(lseA) + exp(lseB))</c> and <c>o = exp(lseA - lse) oA + exp(lseB - lse) oB</c>, per row,
/// in fp32. The merge is commutative, and associative up to fp32 rounding.
/// </summary>
/// <remarks>
/// A side whose log-sum-exp is -infinity (it saw no key) contributes nothing, whatever its output holds; when both are,
/// the row gets zeros and -infinity. A NaN log-sum-exp makes the row's output and log-sum-exp NaN.
/// </remarks>
public static unsafe class AttentionMerge
{
    /// <summary>Merges (<paramref name="oA"/>, <paramref name="lseA"/>) with (<paramref name="oB"/>, <paramref name="lseB"/>) into (<paramref name="o"/>, <paramref name="lse"/>).</summary>
    /// <param name="oA">First output, (rows, valueHeadDim) — e.g. a [batch, seqQ, heads, valueHeadDim] attention output.</param>
    /// <param name="lseA">First log-sum-exp, (rows) — the matching (batch, seqQ, heads) log-sum-exp.</param>
    /// <param name="oB">Second output, same shape.</param>
    /// <param name="lseB">Second log-sum-exp, same shape.</param>
    /// <param name="o">Merged output; may be exactly <paramref name="oA"/> or <paramref name="oB"/>, or overlap neither.</param>
    /// <param name="lse">Merged log-sum-exp; may be exactly <paramref name="lseA"/> or <paramref name="lseB"/>, or overlap neither.</param>
    /// <param name="valueHeadDim">Row width, at least 1.</param>
    /// <exception cref="ArgumentException">Lengths disagree (every o has lse.Length * valueHeadDim elements), valueHeadDim &lt; 1,
    /// or outputs overlap inputs other than as documented. Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Merge<T>(ReadOnlySpan<T> oA, ReadOnlySpan<float> lseA, ReadOnlySpan<T> oB, ReadOnlySpan<float> lseB,
        Span<T> o, Span<float> lse, int valueHeadDim)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        ArgumentOutOfRangeException.ThrowIfLessThan(valueHeadDim, 1);
        int rows = lseA.Length;
        SpanRules.SameLength(lseA, lseB, nameof(lseA), nameof(lseB));
        SpanRules.SameLength(lseA, (ReadOnlySpan<float>)lse, nameof(lseA), nameof(lse));
        long elements = (long)rows * valueHeadDim;
        foreach ((int length, string name) in new[] { (oA.Length, nameof(oA)), (oB.Length, nameof(oB)), (o.Length, nameof(o)) })
        {
            if (length != elements)
            {
                throw new ArgumentException($"{name} has {length} elements but {rows} rows of {valueHeadDim} need {elements}.", name);
            }
        }
        ReadOnlySpan<T> output = o;
        ReadOnlySpan<float> outputLse = lse;
        CheckAlias(oA, output, nameof(oA), nameof(o));
        CheckAlias(oB, output, nameof(oB), nameof(o));
        CheckAlias(lseA, outputLse, nameof(lseA), nameof(lse));
        CheckAlias(lseB, outputLse, nameof(lseB), nameof(lse));
        SpanRules.NoOverlap(output, outputLse, nameof(o), nameof(lse), exactAliasAllowed: false);
        SpanRules.NoOverlap(oA, outputLse, nameof(oA), nameof(lse), exactAliasAllowed: false);
        SpanRules.NoOverlap(oB, outputLse, nameof(oB), nameof(lse), exactAliasAllowed: false);
        SpanRules.NoOverlap(lseA, output, nameof(lseA), nameof(o), exactAliasAllowed: false);
        SpanRules.NoOverlap(lseB, output, nameof(lseB), nameof(o), exactAliasAllowed: false);
        if (rows == 0)
        {
            return;
        }

        fixed (T* pa = oA)
        fixed (T* pb = oB)
        fixed (T* po = o)
        fixed (float* la = lseA)
        fixed (float* lb = lseB)
        fixed (float* lo = lse)
        {
            Native.Check(NativeMethods.kn_attention_merge(dtype, pa, la, pb, lb, po, lo, (nuint)rows, (nuint)valueHeadDim));
        }
    }

    private static void CheckAlias<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName)
        where T : unmanaged
        => SpanRules.NoOverlap(input, output, inputName, outputName, exactAliasAllowed: true);
}
