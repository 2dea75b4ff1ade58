using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// FlashAttention-2 on CPU: softmax(s) V with s = scale * Q K^T (optionally softcapped and masked, see
/// <see cref="AttentionOptions"/>), computed tile by tile with an online softmax, never materialising the
/// (seqQ, seqK) score matrix. Layout: row-major <c>[batch, seq, heads, dim]</c> (see <see cref="AttentionShape"/>), or
/// packed <c>[tokens, heads, dim]</c> with cumulative sequence offsets (<see cref="ForwardVarlen{T}"/>).
/// </summary>
/// <remarks>
/// <para>Arithmetic is fp32 whatever the storage type (float, Half, BFloat16); outputs are rounded once. The log-sum-exp
/// is the natural logarithm of the sum of exp(s) over a row's visible keys, fp32, laid out (batch, seqQ, heads).</para>
/// <para>Masking is aligned bottom-right (FlashAttention 2.1 and later): the last query row sees up to the last key. A
/// query row that sees no key (e.g. the first seqQ - seqK rows of a causal call with seqQ &gt; seqK, or an empty
/// window) gets an output of zeros, a log-sum-exp of -infinity and zero gradients.</para>
/// <para>NaN: a NaN in q, k or v reaches only the output rows whose scores or values it enters; those rows hold NaN or
/// unspecified values. Other rows are unaffected. Infinite inputs are not supported.</para>
/// <para>Work is split over <see cref="KernelThreading.MaxDegreeOfParallelism"/> threads by (batch, head, 64-row tile);
/// every output element is computed by one thread in a fixed order, so results are bitwise identical across runs and
/// thread counts on a given SIMD target. A forward call with fewer than 8 such tiles and at least 2048 keys (decoding)
/// also splits the keys into ranges of 1024, computed in parallel into fp32 partials and merged exactly
/// (<see cref="AttentionMerge"/>) in ascending order; that choice depends on the shape only. A grouped-query call with one
/// query row per head (and no left window) first packs each group's query heads as the rows of one tile over their shared
/// kv head, so K and V are read once per group; tiles are then counted after packing.</para>
/// </remarks>
public static unsafe partial class FlashAttention
{
    /// <summary>Computes the attention output <paramref name="o"/> and its log-sum-exp <paramref name="lse"/>.</summary>
    /// <param name="q">Queries, (Batch, SeqQ, Heads, HeadDim).</param>
    /// <param name="k">Keys, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="v">Values, (Batch, SeqK, KvHeads, ValueHeadDim).</param>
    /// <param name="o">Output, (Batch, SeqQ, Heads, ValueHeadDim); may not overlap the inputs.</param>
    /// <param name="lse">Natural-log log-sum-exp per query row, (Batch, SeqQ, Heads); may not overlap anything else.</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="options">Scale, mask and softcap; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A span length disagrees with <paramref name="shape"/>, outputs overlap inputs,
    /// <paramref name="shape"/> is invalid (negative size, Heads not a multiple of KvHeads, a head dimension outside 1..256)
    /// or <paramref name="options"/> is (non-finite scale, window &lt; -1, softcap negative or non-finite). Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, Span<T> o, Span<float> lse,
        AttentionShape shape, AttentionOptions? options = null)
        where T : unmanaged
    {
        options ??= AttentionOptions.Default;
        CheckDenseForwardLengths(shape, options, q.Length, k.Length, v.Length, o.Length);
        (AttentionStrides qs, AttentionStrides ks, AttentionStrides vs, AttentionStrides os) = AttentionCall.ContiguousStrides(shape);
        Forward(q, qs, k, ks, v, vs, o, os, lse, shape, options);
    }

    /// <summary>Computes the attention output and log-sum-exp of strided views (see <see cref="AttentionStrides"/>).</summary>
    /// <param name="q">Queries, (Batch, SeqQ, Heads, HeadDim) through <paramref name="qStrides"/>.</param>
    /// <param name="qStrides">Strides of <paramref name="q"/> in elements.</param>
    /// <param name="k">Keys, (Batch, SeqK, KvHeads, HeadDim) through <paramref name="kStrides"/>.</param>
    /// <param name="kStrides">Strides of <paramref name="k"/>.</param>
    /// <param name="v">Values, (Batch, SeqK, KvHeads, ValueHeadDim) through <paramref name="vStrides"/>.</param>
    /// <param name="vStrides">Strides of <paramref name="v"/>.</param>
    /// <param name="o">Output, (Batch, SeqQ, Heads, ValueHeadDim) through <paramref name="oStrides"/>; elements between
    /// rows are untouched. Its span may not overlap the inputs' spans (inputs may overlap each other).</param>
    /// <param name="oStrides">Strides of <paramref name="o"/>; no two output elements may share memory.</param>
    /// <param name="lse">Natural-log log-sum-exp per query row, dense (Batch, SeqQ, Heads).</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="options">Scale, mask and softcap; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">As the dense overload; besides, a stride is negative, a view reaches past its span,
    /// or the output view overlaps itself. Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Forward<T>(ReadOnlySpan<T> q, AttentionStrides qStrides, ReadOnlySpan<T> k, AttentionStrides kStrides,
        ReadOnlySpan<T> v, AttentionStrides vStrides, Span<T> o, AttentionStrides oStrides, Span<float> lse,
        AttentionShape shape, AttentionOptions? options = null)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        options ??= AttentionOptions.Default;
        CheckForwardViews(shape, options, q.Length, qStrides, k.Length, kStrides, v.Length, vStrides, o.Length, oStrides,
            oIsWritten: true, lse.Length);
        CheckOutputOverlap<T>(q, k, v, o, lse);
        if (shape.RowCount == 0)
        {
            return;
        }

        if (GroupedDecode.Applies(shape, options))
        {
            float[] groupedLse = GC.AllocateUninitializedArray<float>((int)shape.RowCount);
            RunForward(GroupedDecode.Call(shape, options, qStrides, kStrides, vStrides, oStrides), dtype, q, k, v, o, groupedLse);
            GroupedDecode.ReorderLse(groupedLse, lse, shape);
            return;
        }
        RunForward(new AttentionCall(shape, options, qStrides, kStrides, vStrides, oStrides), dtype, q, k, v, o, lse);
    }

    private static void RunForward<T>(AttentionCall call, kn_dtype dtype, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        Span<T> o, Span<float> lse)
        where T : unmanaged
    {
        AttentionShape shape = call.Shape;
        int splits = SplitKeyForward.SplitsFor(call);
        fixed (T* pq = q)
        fixed (T* pk = k)
        fixed (T* pv = v)
        fixed (T* po = o)
        fixed (float* plse = lse)
        fixed (long* strides = call.Strides)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, io = (nint)po, ilse = (nint)plse, istrides = (nint)strides;
            if (splits > 0)
            {
                SplitKeyForward.Run(call, splits, dtype, iq, ik, iv, o, lse);
                return;
            }
            AttentionWork.Run(call.QueryItems, call.FlopsPerQueryItem, call.WorkspaceBytes, (begin, count, workspace, bytes) =>
            {
                long* s = (long*)istrides;
                return NativeMethods.kn_flash_attention_forward(dtype, (void*)iq, (void*)ik, (void*)iv, (void*)io, (float*)ilse,
                    (nuint)shape.Batch, (nuint)shape.SeqQ, (nuint)shape.SeqK, (nuint)shape.Heads, (nuint)shape.KvHeads,
                    (nuint)shape.HeadDim, (nuint)shape.ValueHeadDim, s, s + 3, s + 6, s + 9, call.Scale, call.Causal,
                    call.WindowLeft, call.WindowRight, call.Softcap, (nuint)begin, (nuint)count, workspace, bytes);
            });
        }
    }

    /// <summary>
    /// Gradients of the attention output with respect to q, k and v, given the forward's <paramref name="o"/> and
    /// <paramref name="lse"/> and the output gradient <paramref name="dO"/>.
    /// </summary>
    /// <remarks>
    /// P is recomputed from lse; D = rowsum(dO * O). Two passes, each owning its outputs: dK and dV of a 64-key tile sum
    /// over the query heads sharing its kv head in ascending order, then over query tiles and rows in ascending order; dQ
    /// of a query row sums over keys in ascending order. The order is fixed, so results are bitwise reproducible for any
    /// thread count. Keys no query sees get zero dK and dV; query rows that see no key get zero dQ.
    /// </remarks>
    /// <param name="q">Queries of the forward call.</param>
    /// <param name="k">Keys of the forward call.</param>
    /// <param name="v">Values of the forward call.</param>
    /// <param name="o">The forward output.</param>
    /// <param name="lse">The forward log-sum-exp.</param>
    /// <param name="dO">Gradient of the loss with respect to o, same shape as o.</param>
    /// <param name="dq">Receives the gradient for q; shape of q.</param>
    /// <param name="dk">Receives the gradient for k; shape of k.</param>
    /// <param name="dv">Receives the gradient for v; shape of v.</param>
    /// <param name="shape">Sizes of the forward call.</param>
    /// <param name="options">Options of the forward call; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">As <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{float}, AttentionShape, AttentionOptions)"/>, for every span; gradient outputs may not overlap
    /// each other or any input. Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Backward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> o,
        ReadOnlySpan<float> lse, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv,
        AttentionShape shape, AttentionOptions? options = null)
        where T : unmanaged
    {
        options ??= AttentionOptions.Default;
        CheckDenseForwardLengths(shape, options, q.Length, k.Length, v.Length, o.Length);
        CheckLength(dO.Length, shape.OutputLength, nameof(dO));
        CheckLength(dq.Length, shape.QueryLength, nameof(dq));
        CheckLength(dk.Length, shape.KeyLength, nameof(dk));
        CheckLength(dv.Length, shape.ValueLength, nameof(dv));
        (AttentionStrides qs, AttentionStrides ks, AttentionStrides vs, AttentionStrides os) = AttentionCall.ContiguousStrides(shape);
        Backward(q, qs, k, ks, v, vs, o, os, lse, dO, dq, dk, dv, shape, options);
    }

    /// <summary>Gradients of strided views; each gradient has the strides of its tensor (dq of q, dk of k, dv of v, dO of o).</summary>
    /// <param name="q">Queries of the forward call.</param>
    /// <param name="qStrides">Strides of <paramref name="q"/> and <paramref name="dq"/>.</param>
    /// <param name="k">Keys of the forward call.</param>
    /// <param name="kStrides">Strides of <paramref name="k"/> and <paramref name="dk"/>.</param>
    /// <param name="v">Values of the forward call.</param>
    /// <param name="vStrides">Strides of <paramref name="v"/> and <paramref name="dv"/>.</param>
    /// <param name="o">The forward output.</param>
    /// <param name="oStrides">Strides of <paramref name="o"/> and <paramref name="dO"/>.</param>
    /// <param name="lse">The forward log-sum-exp, dense (Batch, SeqQ, Heads).</param>
    /// <param name="dO">Gradient of the loss with respect to o.</param>
    /// <param name="dq">Receives the gradient for q; elements between rows are untouched.</param>
    /// <param name="dk">Receives the gradient for k.</param>
    /// <param name="dv">Receives the gradient for v.</param>
    /// <param name="shape">Sizes of the forward call.</param>
    /// <param name="options">Options of the forward call; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">As the dense overload; besides, a stride is negative, a view reaches past its span,
    /// or a gradient view overlaps itself. Overlap between tensors is judged by whole spans: dq, dk and dv may not share a
    /// span with each other or with an input (so they cannot be interleaved in one buffer). Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void Backward<T>(ReadOnlySpan<T> q, AttentionStrides qStrides, ReadOnlySpan<T> k, AttentionStrides kStrides,
        ReadOnlySpan<T> v, AttentionStrides vStrides, ReadOnlySpan<T> o, AttentionStrides oStrides,
        ReadOnlySpan<float> lse, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv,
        AttentionShape shape, AttentionOptions? options = null)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        options ??= AttentionOptions.Default;
        CheckForwardViews(shape, options, q.Length, qStrides, k.Length, kStrides, v.Length, vStrides, o.Length, oStrides,
            oIsWritten: false, lse.Length);
        oStrides.Validate(dO.Length, shape.Batch, shape.SeqQ, shape.Heads, shape.ValueHeadDim, nameof(dO), isOutput: false);
        qStrides.Validate(dq.Length, shape.Batch, shape.SeqQ, shape.Heads, shape.HeadDim, nameof(dq), isOutput: true);
        kStrides.Validate(dk.Length, shape.Batch, shape.SeqK, shape.KvHeads, shape.HeadDim, nameof(dk), isOutput: true);
        vStrides.Validate(dv.Length, shape.Batch, shape.SeqK, shape.KvHeads, shape.ValueHeadDim, nameof(dv), isOutput: true);
        CheckGradientsOverlap<T>(q, k, v, o, lse, dO, dq, dk, dv);
        if (shape.RowCount == 0 && shape.ValueLength == 0)
        {
            return;
        }

        var call = new AttentionCall(shape, options, qStrides, kStrides, vStrides, oStrides);
        fixed (T* pq = q)
        fixed (T* pk = k)
        fixed (T* pv = v)
        fixed (T* po = o)
        fixed (float* plse = lse)
        fixed (T* pdo = dO)
        fixed (T* pdq = dq)
        fixed (T* pdk = dk)
        fixed (T* pdv = dv)
        fixed (long* strides = call.Strides)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, io = (nint)po, ilse = (nint)plse, ido = (nint)pdo;
            nint idq = (nint)pdq, idk = (nint)pdk, idv = (nint)pdv, istrides = (nint)strides;
            AttentionWork.Run(call.KeyItems, call.FlopsPerKeyItem, call.WorkspaceBytes, (begin, count, workspace, bytes) =>
            {
                long* s = (long*)istrides;
                return NativeMethods.kn_flash_attention_backward_dkdv(dtype, (void*)iq, (void*)ik, (void*)iv, (void*)io,
                    (float*)ilse, (void*)ido, (void*)idk, (void*)idv, (nuint)shape.Batch, (nuint)shape.SeqQ, (nuint)shape.SeqK,
                    (nuint)shape.Heads, (nuint)shape.KvHeads, (nuint)shape.HeadDim, (nuint)shape.ValueHeadDim, s, s + 3, s + 6,
                    s + 9, call.Scale, call.Causal, call.WindowLeft, call.WindowRight, call.Softcap, (nuint)begin, (nuint)count,
                    workspace, bytes);
            });
            AttentionWork.Run(call.QueryItems, call.FlopsPerQueryItem * 1.5, call.WorkspaceBytes, (begin, count, workspace, bytes) =>
            {
                long* s = (long*)istrides;
                return NativeMethods.kn_flash_attention_backward_dq(dtype, (void*)iq, (void*)ik, (void*)iv, (void*)io,
                    (float*)ilse, (void*)ido, (void*)idq, (nuint)shape.Batch, (nuint)shape.SeqQ, (nuint)shape.SeqK,
                    (nuint)shape.Heads, (nuint)shape.KvHeads, (nuint)shape.HeadDim, (nuint)shape.ValueHeadDim, s, s + 3, s + 6,
                    s + 9, call.Scale, call.Causal, call.WindowLeft, call.WindowRight, call.Softcap, (nuint)begin, (nuint)count,
                    workspace, bytes);
            });
        }
    }

    /// <summary>The forward's outputs may not overlap the inputs or each other (inputs may overlap each other).</summary>
    private static void CheckOutputOverlap<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> o, ReadOnlySpan<float> lse)
        where T : unmanaged
    {
        SpanRules.NoOverlap(q, o, nameof(q), nameof(o), exactAliasAllowed: false);
        SpanRules.NoOverlap(k, o, nameof(k), nameof(o), exactAliasAllowed: false);
        SpanRules.NoOverlap(v, o, nameof(v), nameof(o), exactAliasAllowed: false);
        SpanRules.NoOverlap(q, lse, nameof(q), nameof(lse), exactAliasAllowed: false);
        SpanRules.NoOverlap(k, lse, nameof(k), nameof(lse), exactAliasAllowed: false);
        SpanRules.NoOverlap(v, lse, nameof(v), nameof(lse), exactAliasAllowed: false);
        SpanRules.NoOverlap(o, lse, nameof(o), nameof(lse), exactAliasAllowed: false);
    }

    /// <summary>The backward's gradients may not overlap each other or any input.</summary>
    private static void CheckGradientsOverlap<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> o,
        ReadOnlySpan<float> lse, ReadOnlySpan<T> dO, ReadOnlySpan<T> dq, ReadOnlySpan<T> dk, ReadOnlySpan<T> dv)
        where T : unmanaged
    {
        CheckGradientOverlap(dq, nameof(dq), q, k, v, o, dO, lse);
        CheckGradientOverlap(dk, nameof(dk), q, k, v, o, dO, lse);
        CheckGradientOverlap(dv, nameof(dv), q, k, v, o, dO, lse);
        SpanRules.NoOverlap(dq, dk, nameof(dq), nameof(dk), exactAliasAllowed: false);
        SpanRules.NoOverlap(dq, dv, nameof(dq), nameof(dv), exactAliasAllowed: false);
        SpanRules.NoOverlap(dk, dv, nameof(dk), nameof(dv), exactAliasAllowed: false);
    }

    private static void CheckGradientOverlap<T>(ReadOnlySpan<T> gradient, string name, ReadOnlySpan<T> q, ReadOnlySpan<T> k,
        ReadOnlySpan<T> v, ReadOnlySpan<T> o, ReadOnlySpan<T> dO, ReadOnlySpan<float> lse)
        where T : unmanaged
    {
        SpanRules.NoOverlap(q, gradient, nameof(q), name, exactAliasAllowed: false);
        SpanRules.NoOverlap(k, gradient, nameof(k), name, exactAliasAllowed: false);
        SpanRules.NoOverlap(v, gradient, nameof(v), name, exactAliasAllowed: false);
        SpanRules.NoOverlap(o, gradient, nameof(o), name, exactAliasAllowed: false);
        SpanRules.NoOverlap(dO, gradient, nameof(dO), name, exactAliasAllowed: false);
        SpanRules.NoOverlap(lse, gradient, nameof(lse), name, exactAliasAllowed: false);
    }

    /// <summary>
    /// The dense overloads' checks of the shape, the options and the forward call's q, k, v and o (the backward call takes
    /// them again). Dense tensors must have exactly the shape's length; the strided overload only checks that views fit.
    /// </summary>
    private static void CheckDenseForwardLengths(AttentionShape shape, AttentionOptions options, int q, int k, int v, int o)
    {
        shape.Validate(nameof(shape));
        options.Validate(nameof(options));
        CheckLength(q, shape.QueryLength, nameof(q));
        CheckLength(k, shape.KeyLength, nameof(k));
        CheckLength(v, shape.ValueLength, nameof(v));
        CheckLength(o, shape.OutputLength, nameof(o));
    }

    /// <summary>
    /// Validates the shape, the options and the views of the forward call's tensors, which the backward call takes again as
    /// inputs; <paramref name="oIsWritten"/> is true only for the forward call, where o must not overlap itself.
    /// </summary>
    private static void CheckForwardViews(AttentionShape shape, AttentionOptions options, int q, AttentionStrides qStrides,
        int k, AttentionStrides kStrides, int v, AttentionStrides vStrides, int o, AttentionStrides oStrides, bool oIsWritten,
        int lse)
    {
        shape.Validate(nameof(shape));
        options.Validate(nameof(options));
        qStrides.Validate(q, shape.Batch, shape.SeqQ, shape.Heads, shape.HeadDim, nameof(q), isOutput: false);
        kStrides.Validate(k, shape.Batch, shape.SeqK, shape.KvHeads, shape.HeadDim, nameof(k), isOutput: false);
        vStrides.Validate(v, shape.Batch, shape.SeqK, shape.KvHeads, shape.ValueHeadDim, nameof(v), isOutput: false);
        oStrides.Validate(o, shape.Batch, shape.SeqQ, shape.Heads, shape.ValueHeadDim, nameof(o), isOutput: oIsWritten);
        CheckLength(lse, shape.RowCount, nameof(lse));
    }

    private static void CheckLength(int actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} elements but the shape needs {expected}.", name);
        }
    }
}
