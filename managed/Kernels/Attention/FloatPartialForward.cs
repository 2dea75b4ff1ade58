using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// A forward call whose output stays fp32 — the partial (O, lse) of one block of keys, to be merged exactly with
/// <see cref="AttentionMerge"/> and rounded once at the end (ring attention). It is the split-KV kernel with a single
/// key range, which writes fp32 partials whatever the input type.
/// </summary>
internal static unsafe class FloatPartialForward
{
    /// <summary>Writes the dense fp32 output (Batch, SeqQ, Heads, ValueHeadDim) and log-sum-exp of strided views.</summary>
    /// <exception cref="ArgumentException">A view reaches past its span or a dense output has the wrong length.</exception>
    internal static void Run<T>(ReadOnlySpan<T> q, AttentionStrides qStrides, ReadOnlySpan<T> k, AttentionStrides kStrides,
        ReadOnlySpan<T> v, AttentionStrides vStrides, Span<float> o, Span<float> lse, AttentionShape shape, AttentionOptions options)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        qStrides.Validate(q.Length, shape.Batch, shape.SeqQ, shape.Heads, shape.HeadDim, nameof(q), isOutput: false);
        kStrides.Validate(k.Length, shape.Batch, shape.SeqK, shape.KvHeads, shape.HeadDim, nameof(k), isOutput: false);
        vStrides.Validate(v.Length, shape.Batch, shape.SeqK, shape.KvHeads, shape.ValueHeadDim, nameof(v), isOutput: false);
        if (o.Length != shape.OutputLength || lse.Length != shape.RowCount)
        {
            throw new ArgumentException($"o and lse need {shape.OutputLength} and {shape.RowCount} elements, not {o.Length} and {lse.Length}.");
        }
        var call = new AttentionCall(shape, options, qStrides, kStrides, vStrides,
            AttentionStrides.Contiguous(shape.SeqQ, shape.Heads, shape.ValueHeadDim));
        fixed (T* pq = q)
        fixed (T* pk = k)
        fixed (T* pv = v)
        fixed (float* po = o)
        fixed (float* plse = lse)
        fixed (long* strides = call.Strides)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, io = (nint)po, ilse = (nint)plse, istrides = (nint)strides;
            AttentionWork.Run(call.QueryItems, call.FlopsPerQueryItem, call.WorkspaceBytes, (begin, count, workspace, bytes) =>
            {
                long* s = (long*)istrides;
                return NativeMethods.kn_flash_attention_forward_split(dtype, (void*)iq, (void*)ik, (void*)iv, (float*)io, (float*)ilse,
                    (nuint)shape.Batch, (nuint)shape.SeqQ, (nuint)shape.SeqK, (nuint)shape.Heads, (nuint)shape.KvHeads,
                    (nuint)shape.HeadDim, (nuint)shape.ValueHeadDim, s, s + 3, s + 6, call.Scale, call.Causal,
                    call.WindowLeft, call.WindowRight, call.Softcap, 1, (nuint)begin, (nuint)count, workspace, bytes);
            });
        }
    }
}
