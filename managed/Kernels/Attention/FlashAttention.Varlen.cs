using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Attention;

public static unsafe partial class FlashAttention
{
    /// <summary>
    /// Attention over a packed batch of variable-length sequences (FlashAttention's varlen layout): sequence i's queries
    /// are rows [cuSeqlensQ[i], cuSeqlensQ[i + 1]) of q and attend only to its keys, rows [cuSeqlensK[i], cuSeqlensK[i + 1])
    /// of k and v. Each sequence gives exactly the result of a batch-1 <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{float}, AttentionShape, AttentionOptions)"/>
    /// call on its rows.
    /// </summary>
    /// <remarks>
    /// <para>Masks are aligned bottom-right within each sequence (see <see cref="AttentionOptions"/>): with causal masking
    /// the last query of a sequence sees up to that sequence's last key. A sequence may be empty on either side; its query
    /// rows then see no key (zero output, log-sum-exp -infinity).</para>
    /// <para>The query tiles of all sequences and heads form one pool of work items taken by
    /// <see cref="KernelThreading.MaxDegreeOfParallelism"/> threads; each output row is computed by one thread in a fixed
    /// order, so results are bitwise identical across runs and thread counts on a given SIMD target. The split-KV and
    /// grouped-query decode paths of the dense call are not used.</para>
    /// </remarks>
    /// <param name="q">Queries, [totalQ, Heads, HeadDim].</param>
    /// <param name="k">Keys, [totalK, KvHeads, HeadDim].</param>
    /// <param name="v">Values, [totalK, KvHeads, ValueHeadDim].</param>
    /// <param name="o">Output, [totalQ, Heads, ValueHeadDim]; may not overlap the inputs.</param>
    /// <param name="lse">Natural-log log-sum-exp per query row, [totalQ, Heads]; may not overlap anything else.</param>
    /// <param name="cuSeqlensQ">Cumulative query offsets: sequences + 1 entries, starting at 0, never decreasing, ending at totalQ.</param>
    /// <param name="cuSeqlensK">Cumulative key offsets: as many entries as <paramref name="cuSeqlensQ"/>, starting at 0, never
    /// decreasing, ending at totalK.</param>
    /// <param name="heads">Head counts and dimensions.</param>
    /// <param name="options">Scale, mask and softcap; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">An offsets array is empty, does not start at 0, decreases (so also when an offset is
    /// negative) or does not end at the token count of q (<paramref name="cuSeqlensQ"/>) or k (<paramref name="cuSeqlensK"/>);
    /// the two arrays differ in length; q or k is not a whole number of rows; v, o or lse has the wrong length; spans overlap;
    /// <paramref name="heads"/> is invalid (Heads not a multiple of KvHeads, a head dimension outside 1..256) or
    /// <paramref name="options"/> is. Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void ForwardVarlen<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, Span<T> o, Span<float> lse,
        ReadOnlySpan<int> cuSeqlensQ, ReadOnlySpan<int> cuSeqlensK, AttentionHeads heads, AttentionOptions? options = null)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        options ??= AttentionOptions.Default;
        PackedSequences packed = PackedSequences.Create(cuSeqlensQ, cuSeqlensK, heads, options, q.Length, k.Length, v.Length,
            o.Length, lse.Length);
        CheckOutputOverlap<T>(q, k, v, o, lse);

        fixed (T* pq = q)
        fixed (T* pk = k)
        fixed (T* pv = v)
        fixed (T* po = o)
        fixed (float* plse = lse)
        {
            var rows = new PackedRows<T>(packed, pq, pk, pv, po, plse);
            packed.RunQueryItems(1, (sequence, call, begin, count, workspace, bytes) =>
            {
                AttentionShape shape = call.Shape;
                fixed (long* s = call.Strides)
                {
                    return NativeMethods.kn_flash_attention_forward(dtype, rows.Q(sequence), rows.K(sequence), rows.V(sequence),
                        rows.O(sequence), rows.Lse(sequence), 1, (nuint)shape.SeqQ,
                        (nuint)shape.SeqK, (nuint)shape.Heads, (nuint)shape.KvHeads, (nuint)shape.HeadDim, (nuint)shape.ValueHeadDim,
                        s, s + 3, s + 6, s + 9, call.Scale, call.Causal, call.WindowLeft, call.WindowRight, call.Softcap,
                        (nuint)begin, (nuint)count, workspace, bytes);
                }
            });
        }
    }

    /// <summary>
    /// Gradients of a packed variable-length call (<see cref="ForwardVarlen{T}"/>): each sequence's gradients are those of a
    /// batch-1 <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{float}, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, AttentionShape, AttentionOptions)"/>
    /// call on its rows, with the same fixed accumulation order, so results are bitwise reproducible.
    /// </summary>
    /// <remarks>Keys of a sequence that no query sees (including every key of a sequence without queries) get zero dK and dV;
    /// query rows that see no key get zero dQ.</remarks>
    /// <param name="q">Queries of the forward call.</param>
    /// <param name="k">Keys of the forward call.</param>
    /// <param name="v">Values of the forward call.</param>
    /// <param name="o">The forward output.</param>
    /// <param name="lse">The forward log-sum-exp.</param>
    /// <param name="dO">Gradient of the loss with respect to o, the shape of o.</param>
    /// <param name="dq">Receives the gradient for q; the shape of q.</param>
    /// <param name="dk">Receives the gradient for k; the shape of k.</param>
    /// <param name="dv">Receives the gradient for v; the shape of v.</param>
    /// <param name="cuSeqlensQ">Cumulative query offsets of the forward call.</param>
    /// <param name="cuSeqlensK">Cumulative key offsets of the forward call.</param>
    /// <param name="heads">Heads of the forward call.</param>
    /// <param name="options">Options of the forward call; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">As <see cref="ForwardVarlen{T}"/>; besides, dO, dq, dk or dv has the wrong length, or a
    /// gradient overlaps another gradient or an input. Nothing is written.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    public static void BackwardVarlen<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> o,
        ReadOnlySpan<float> lse, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv,
        ReadOnlySpan<int> cuSeqlensQ, ReadOnlySpan<int> cuSeqlensK, AttentionHeads heads, AttentionOptions? options = null)
        where T : unmanaged
    {
        kn_dtype dtype = ElementTypes.Of<T>();
        options ??= AttentionOptions.Default;
        PackedSequences packed = PackedSequences.Create(cuSeqlensQ, cuSeqlensK, heads, options, q.Length, k.Length, v.Length,
            o.Length, lse.Length);
        CheckLength(dO.Length, o.Length, nameof(dO));
        CheckLength(dq.Length, q.Length, nameof(dq));
        CheckLength(dk.Length, k.Length, nameof(dk));
        CheckLength(dv.Length, v.Length, nameof(dv));
        CheckGradientsOverlap<T>(q, k, v, o, lse, dO, dq, dk, dv);

        fixed (T* pq = q)
        fixed (T* pk = k)
        fixed (T* pv = v)
        fixed (T* po = o)
        fixed (float* plse = lse)
        fixed (T* pdo = dO)
        fixed (T* pdq = dq)
        fixed (T* pdk = dk)
        fixed (T* pdv = dv)
        {
            var rows = new PackedRows<T>(packed, pq, pk, pv, po, plse);
            // dq, dk, dv and dO have the shapes of q, k, v and o.
            var gradients = new PackedRows<T>(packed, pdq, pdk, pdv, pdo, null);
            packed.RunKeyItems(2.5, (sequence, call, begin, count, workspace, bytes) =>
            {
                AttentionShape shape = call.Shape;
                fixed (long* s = call.Strides)
                {
                    return NativeMethods.kn_flash_attention_backward_dkdv(dtype, rows.Q(sequence), rows.K(sequence),
                        rows.V(sequence), rows.O(sequence), rows.Lse(sequence), gradients.O(sequence), gradients.K(sequence),
                        gradients.V(sequence), 1,
                        (nuint)shape.SeqQ, (nuint)shape.SeqK, (nuint)shape.Heads, (nuint)shape.KvHeads, (nuint)shape.HeadDim,
                        (nuint)shape.ValueHeadDim, s, s + 3, s + 6, s + 9, call.Scale, call.Causal, call.WindowLeft,
                        call.WindowRight, call.Softcap, (nuint)begin, (nuint)count, workspace, bytes);
                }
            });
            packed.RunQueryItems(1.5, (sequence, call, begin, count, workspace, bytes) =>
            {
                AttentionShape shape = call.Shape;
                fixed (long* s = call.Strides)
                {
                    return NativeMethods.kn_flash_attention_backward_dq(dtype, rows.Q(sequence), rows.K(sequence),
                        rows.V(sequence), rows.O(sequence), rows.Lse(sequence), gradients.O(sequence), gradients.Q(sequence), 1,
                        (nuint)shape.SeqQ, (nuint)shape.SeqK, (nuint)shape.Heads, (nuint)shape.KvHeads, (nuint)shape.HeadDim,
                        (nuint)shape.ValueHeadDim, s, s + 3, s + 6, s + 9, call.Scale, call.Causal, call.WindowLeft,
                        call.WindowRight, call.Softcap, (nuint)begin, (nuint)count, workspace, bytes);
                }
            });
        }
    }
}
