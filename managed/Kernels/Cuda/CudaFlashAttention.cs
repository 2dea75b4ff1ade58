using Kernels.Attention;

namespace Kernels.Cuda;

/// <summary>
/// <see cref="FlashAttention.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{float}, AttentionShape, AttentionOptions)"/>
/// on device buffers, queued on a stream: FlashAttention-2 on tensor cores (cuda/flash_attention.cu, WMMA, compute
/// capability 8.0 and later) with the CPU API's layout, masks (bottom-right aligned), grouped-query heads, softcap and
/// log-sum-exp, for Half and BFloat16 storage with fp32 accumulation; and its backward (dQ, dK, dV).
/// </summary>
/// <remarks>
/// <para>Supported: HeadDim = ValueHeadDim = 64 or 128, Batch and Heads up to 65535. float inputs are not taken (convert
/// them with <see cref="CudaConversion"/>); other head dimensions run on the CPU kernels.</para>
/// <para>Numerics: S = Q K^T accumulates exact products in fp32; the softmax is fp32 in the log2 domain (CUDA's exp2f);
/// P is rounded to the storage type before P V, as in FlashAttention. Results are within FlashAttention's acceptance rule
/// of the float64 reference, not bit-identical to the CPU kernels. A query row that sees no key gets o = 0 and
/// lse = -infinity. A NaN in v reaches every row of the 64-row tile whose key tile holds it (masked or not).</para>
/// </remarks>
public static class CudaFlashAttention
{
    /// <summary>The head dimensions the kernels are instantiated for.</summary>
    internal static readonly int[] HeadDims = [64, 128];

    // The kernel's tile: 4 warps of 16 query rows (kFlashBlockM, kFlashThreads in flash_attention.cu).
    private const int BlockRows = 64;
    private const uint Threads = 128;

    /// <summary>Attention over dense tensors: o and lse from q, k and v.</summary>
    /// <param name="q">Queries, (Batch, SeqQ, Heads, HeadDim).</param>
    /// <param name="k">Keys, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="v">Values, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="o">Output, (Batch, SeqQ, Heads, HeadDim); a buffer of its own.</param>
    /// <param name="lse">Natural-log log-sum-exp per query row, (Batch, SeqQ, Heads).</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="options">Scale, mask and softcap; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with <paramref name="shape"/>, o is one of the inputs, a buffer
    /// is on another device, or <paramref name="shape"/> / <paramref name="options"/> is invalid or unsupported (head
    /// dimension other than 64 or 128, ValueHeadDim != HeadDim, Batch or Heads above 65535). Nothing is queued.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not Half or BFloat16, or the device is older
    /// than compute capability 8.0.</exception>
    public static void Forward<T>(DeviceBuffer<T> q, DeviceBuffer<T> k, DeviceBuffer<T> v, DeviceBuffer<T> o, DeviceBuffer<float> lse,
        AttentionShape shape, AttentionOptions? options, CudaStream stream) where T : unmanaged
    {
        CheckCall<T>(shape, options);
        foreach ((DeviceBuffer<T>? buffer, long length, string name) in new[]
                 { (q, shape.QueryLength, nameof(q)), (k, shape.KeyLength, nameof(k)), (v, shape.ValueLength, nameof(v)), (o, shape.OutputLength, nameof(o)) })
        {
            ArgumentNullException.ThrowIfNull(buffer, name);
            if (buffer.Length != length)
                throw new ArgumentException($"{name} has {buffer.Length} elements but the shape needs {length}.", name);
        }
        (AttentionStrides qs, AttentionStrides ks, AttentionStrides vs, AttentionStrides os) = AttentionCall.ContiguousStrides(shape);
        Forward(q, qs, k, ks, v, vs, o, os, lse, shape, options, stream);
    }

    /// <summary>Attention over strided views (see <see cref="AttentionStrides"/>); elements of o between rows are untouched.</summary>
    /// <param name="q">Queries, (Batch, SeqQ, Heads, HeadDim) through <paramref name="qStrides"/>.</param>
    /// <param name="qStrides">Strides of <paramref name="q"/> in elements.</param>
    /// <param name="k">Keys, (Batch, SeqK, KvHeads, HeadDim) through <paramref name="kStrides"/>.</param>
    /// <param name="kStrides">Strides of <paramref name="k"/>.</param>
    /// <param name="v">Values, (Batch, SeqK, KvHeads, HeadDim) through <paramref name="vStrides"/>.</param>
    /// <param name="vStrides">Strides of <paramref name="v"/>.</param>
    /// <param name="o">Output, (Batch, SeqQ, Heads, HeadDim) through <paramref name="oStrides"/>; a buffer of its own.</param>
    /// <param name="oStrides">Strides of <paramref name="o"/>; no two output elements may share memory.</param>
    /// <param name="lse">Natural-log log-sum-exp per query row, dense (Batch, SeqQ, Heads).</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="options">Scale, mask and softcap; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">As the dense overload; besides, a stride is negative, a view reaches past its
    /// buffer, or the output view overlaps itself. Nothing is queued.</exception>
    /// <exception cref="NotSupportedException">As the dense overload.</exception>
    public static void Forward<T>(DeviceBuffer<T> q, AttentionStrides qStrides, DeviceBuffer<T> k, AttentionStrides kStrides,
        DeviceBuffer<T> v, AttentionStrides vStrides, DeviceBuffer<T> o, AttentionStrides oStrides, DeviceBuffer<float> lse,
        AttentionShape shape, AttentionOptions? options, CudaStream stream) where T : unmanaged
    {
        string storage = CheckCall<T>(shape, options);
        options ??= AttentionOptions.Default;
        ArgumentNullException.ThrowIfNull(stream);
        ulong pq = DeviceArguments.Pointer(q, stream, nameof(q)), pk = DeviceArguments.Pointer(k, stream, nameof(k));
        ulong pv = DeviceArguments.Pointer(v, stream, nameof(v)), po = DeviceArguments.Pointer(o, stream, nameof(o));
        ulong pl = DeviceArguments.Pointer(lse, stream, nameof(lse));
        qStrides.Validate(q.Length, shape.Batch, shape.SeqQ, shape.Heads, shape.HeadDim, nameof(q), isOutput: false);
        kStrides.Validate(k.Length, shape.Batch, shape.SeqK, shape.KvHeads, shape.HeadDim, nameof(k), isOutput: false);
        vStrides.Validate(v.Length, shape.Batch, shape.SeqK, shape.KvHeads, shape.ValueHeadDim, nameof(v), isOutput: false);
        oStrides.Validate(o.Length, shape.Batch, shape.SeqQ, shape.Heads, shape.ValueHeadDim, nameof(o), isOutput: true);
        if (lse.Length != shape.RowCount)
            throw new ArgumentException($"lse has {lse.Length} elements but the shape needs {shape.RowCount}.", nameof(lse));
        foreach ((DeviceBuffer<T> input, string name) in new[] { (q, nameof(q)), (k, nameof(k)), (v, nameof(v)) })
            if (ReferenceEquals(input, o))
                throw new ArgumentException($"o is the same buffer as {name}: the output needs a buffer of its own.", nameof(o));
        CheckComputeCapability(stream);
        if (shape.RowCount == 0)
            return;

        var arguments = new FlashForwardKernelArgs(pq, pk, pv, po, pl, Problem(shape, options, qStrides, kStrides, vStrides, oStrides,
            VectorLoads([pq, pk, pv], [qStrides, kStrides, vStrides])));
        var launch = new CudaLaunchShape(((uint)((shape.SeqQ + BlockRows - 1) / BlockRows), (uint)shape.Heads, (uint)shape.Batch), (Threads, 1, 1));
        stream.Device.Kernels.Get(CudaKernelSources.FlashAttention, $"kn::flash_attention_forward<{storage}, {shape.HeadDim}>")
            .Launch(stream, launch, arguments);
    }

    /// <summary>
    /// Gradients of the attention output with respect to q, k and v (<see cref="FlashAttention.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{float}, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, AttentionShape, AttentionOptions)"/>
    /// on device buffers), given the forward's <paramref name="o"/> and <paramref name="lse"/> and the output gradient
    /// <paramref name="dO"/>; queued on the stream (cuda/flash_attention_backward.cu).
    /// </summary>
    /// <remarks>
    /// <para>P is recomputed from lse; D = rowsum(dO * O) in fp32. Two kernels, each the only writer of its outputs (no
    /// atomics): dK and dV of a 64-key tile sum over the query heads of its kv head ascending, then query tiles ascending;
    /// dQ of a 64-row tile sums over key tiles ascending. The order is fixed, so reruns give the same bits. P and dS are
    /// rounded to the storage type before their tensor-core products, as in FlashAttention; the gradients are rounded
    /// once, to nearest even, from fp32 accumulators to the storage type. Keys no query sees get zero dK and dV; query rows
    /// that see no key get zero dQ. Results are within the CPU backward tests' tolerances of the float64 gradients, not
    /// bit-identical to the CPU kernels.</para>
    /// </remarks>
    /// <param name="q">Queries of the forward call, (Batch, SeqQ, Heads, HeadDim).</param>
    /// <param name="k">Keys of the forward call, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="v">Values of the forward call, (Batch, SeqK, KvHeads, HeadDim).</param>
    /// <param name="o">The forward output, (Batch, SeqQ, Heads, HeadDim).</param>
    /// <param name="lse">The forward log-sum-exp, (Batch, SeqQ, Heads).</param>
    /// <param name="dO">Gradient of the loss with respect to o; shape of o.</param>
    /// <param name="dq">Receives the gradient for q; shape of q, a buffer of its own.</param>
    /// <param name="dk">Receives the gradient for k; shape of k, a buffer of its own.</param>
    /// <param name="dv">Receives the gradient for v; shape of v, a buffer of its own.</param>
    /// <param name="shape">Sizes of the forward call.</param>
    /// <param name="options">Options of the forward call; null = <see cref="AttentionOptions.Default"/>.</param>
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">A length disagrees with <paramref name="shape"/>, a gradient buffer is an input
    /// or another gradient, a buffer is on another device, or <paramref name="shape"/> / <paramref name="options"/> is
    /// invalid or unsupported (as <see cref="Forward{T}(DeviceBuffer{T}, DeviceBuffer{T}, DeviceBuffer{T}, DeviceBuffer{T}, DeviceBuffer{float}, AttentionShape, AttentionOptions, CudaStream)"/>).
    /// Nothing is queued.</exception>
    /// <exception cref="NotSupportedException">As the forward.</exception>
    public static void Backward<T>(DeviceBuffer<T> q, DeviceBuffer<T> k, DeviceBuffer<T> v, DeviceBuffer<T> o, DeviceBuffer<float> lse,
        DeviceBuffer<T> dO, DeviceBuffer<T> dq, DeviceBuffer<T> dk, DeviceBuffer<T> dv, AttentionShape shape, AttentionOptions? options,
        CudaStream stream) where T : unmanaged
    {
        CheckCall<T>(shape, options);
        foreach ((DeviceBuffer<T>? buffer, long length, string name) in new[]
                 {
                     (q, shape.QueryLength, nameof(q)), (k, shape.KeyLength, nameof(k)), (v, shape.ValueLength, nameof(v)),
                     (o, shape.OutputLength, nameof(o)), (dO, shape.OutputLength, nameof(dO)), (dq, shape.QueryLength, nameof(dq)),
                     (dk, shape.KeyLength, nameof(dk)), (dv, shape.ValueLength, nameof(dv)),
                 })
        {
            ArgumentNullException.ThrowIfNull(buffer, name);
            if (buffer.Length != length)
                throw new ArgumentException($"{name} has {buffer.Length} elements but the shape needs {length}.", name);
        }
        (AttentionStrides qs, AttentionStrides ks, AttentionStrides vs, AttentionStrides os) = AttentionCall.ContiguousStrides(shape);
        Backward(q, qs, k, ks, v, vs, o, os, lse, dO, dq, dk, dv, shape, options, stream);
    }

    /// <summary>Gradients of strided views; each gradient has the strides of its tensor (dq of q, dk of k, dv of v, dO of o).</summary>
    /// <param name="q">Queries of the forward call.</param>
    /// <param name="qStrides">Strides of <paramref name="q"/> and <paramref name="dq"/> in elements.</param>
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
    /// <param name="stream">The stream; every buffer must be on its device.</param>
    /// <exception cref="ArgumentException">As the dense overload; besides, a stride is negative, a view reaches past its
    /// buffer, or a gradient view overlaps itself. dq, dk and dv may not share a buffer with each other or with an input.
    /// Nothing is queued.</exception>
    /// <exception cref="NotSupportedException">As the forward.</exception>
    public static void Backward<T>(DeviceBuffer<T> q, AttentionStrides qStrides, DeviceBuffer<T> k, AttentionStrides kStrides,
        DeviceBuffer<T> v, AttentionStrides vStrides, DeviceBuffer<T> o, AttentionStrides oStrides, DeviceBuffer<float> lse,
        DeviceBuffer<T> dO, DeviceBuffer<T> dq, DeviceBuffer<T> dk, DeviceBuffer<T> dv, AttentionShape shape, AttentionOptions? options,
        CudaStream stream) where T : unmanaged
    {
        string storage = CheckCall<T>(shape, options);
        options ??= AttentionOptions.Default;
        ArgumentNullException.ThrowIfNull(stream);
        // Every tensor with its view: (buffer, strides, seq, heads, name, written).
        var tensors = new[]
        {
            (q, qStrides, shape.SeqQ, shape.Heads, nameof(q), false), (k, kStrides, shape.SeqK, shape.KvHeads, nameof(k), false),
            (v, vStrides, shape.SeqK, shape.KvHeads, nameof(v), false), (o, oStrides, shape.SeqQ, shape.Heads, nameof(o), false),
            (dO, oStrides, shape.SeqQ, shape.Heads, nameof(dO), false), (dq, qStrides, shape.SeqQ, shape.Heads, nameof(dq), true),
            (dk, kStrides, shape.SeqK, shape.KvHeads, nameof(dk), true), (dv, vStrides, shape.SeqK, shape.KvHeads, nameof(dv), true),
        };
        var pointers = new ulong[tensors.Length];
        for (int t = 0; t < tensors.Length; t++)
            pointers[t] = DeviceArguments.Pointer(tensors[t].Item1, stream, tensors[t].Item5);
        foreach ((DeviceBuffer<T> buffer, AttentionStrides strides, int seq, int heads, string name, bool written) in tensors)
            strides.Validate(buffer.Length, shape.Batch, seq, heads, shape.HeadDim, name, isOutput: written);
        ulong pl = DeviceArguments.Pointer(lse, stream, nameof(lse));
        if (lse.Length != shape.RowCount)
            throw new ArgumentException($"lse has {lse.Length} elements but the shape needs {shape.RowCount}.", nameof(lse));
        for (int g = 0; g < tensors.Length; g++)
            for (int other = 0; other < tensors.Length && tensors[g].Item6; other++)
                if (other != g && ReferenceEquals(tensors[g].Item1, tensors[other].Item1))
                    throw new ArgumentException(
                        $"{tensors[g].Item5} is the same buffer as {tensors[other].Item5}: each gradient needs a buffer of its own.", tensors[g].Item5);
        CheckComputeCapability(stream);
        if (shape.RowCount == 0 && shape.KeyLength == 0)
            return;

        var arguments = new FlashBackwardKernelArgs(pointers[0], pointers[1], pointers[2], pointers[3], pl, pointers[4],
            pointers[5], pointers[6], pointers[7],
            Problem(shape, options, qStrides, kStrides, vStrides, oStrides, VectorLoads(pointers, [qStrides, kStrides, vStrides, oStrides])));
        CudaKernelCache kernels = stream.Device.Kernels;
        if (shape.SeqK > 0)
        {
            var keyTiles = new CudaLaunchShape(((uint)((shape.SeqK + BlockRows - 1) / BlockRows), (uint)shape.KvHeads, (uint)shape.Batch), (Threads, 1, 1));
            kernels.Get(CudaKernelSources.FlashAttentionBackward, $"kn::flash_attention_backward_dkdv<{storage}, {shape.HeadDim}>")
                .Launch(stream, keyTiles, arguments);
        }
        if (shape.SeqQ > 0)
        {
            var queryTiles = new CudaLaunchShape(((uint)((shape.SeqQ + BlockRows - 1) / BlockRows), (uint)shape.Heads, (uint)shape.Batch), (Threads, 1, 1));
            kernels.Get(CudaKernelSources.FlashAttentionBackward, $"kn::flash_attention_backward_dq<{storage}, {shape.HeadDim}>")
                .Launch(stream, queryTiles, arguments);
        }
    }

    /// <summary>
    /// The checks that need no buffer, in order: element type, shape, options, then what the kernels support. Returns the
    /// storage policy name of <typeparamref name="T"/>.
    /// </summary>
    private static string CheckCall<T>(AttentionShape shape, AttentionOptions? options) where T : unmanaged
    {
        string storage = DeviceArguments.Storage<T>();
        if (typeof(T) == typeof(float))
            throw new NotSupportedException("CudaFlashAttention takes Half or BFloat16 (tensor-core inputs); convert float tensors with CudaConversion first.");
        shape.Validate(nameof(shape));
        (options ?? AttentionOptions.Default).Validate(nameof(options));
        if (shape.HeadDim != shape.ValueHeadDim || Array.IndexOf(HeadDims, shape.HeadDim) < 0)
            throw new ArgumentException(
                $"HeadDim = {shape.HeadDim} and ValueHeadDim = {shape.ValueHeadDim}: the CUDA kernels take equal head dimensions of {string.Join(" or ", HeadDims)}.",
                nameof(shape));
        if (shape.Batch > ushort.MaxValue || shape.Heads > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"Batch = {shape.Batch} and Heads = {shape.Heads} must be at most 65535 (the grid's z and y extents).");
        return storage;
    }

    /// <summary>The kernels' shared parameters (kn::FlashProblem) for a validated call.</summary>
    private static FlashProblemKernelArgs Problem(AttentionShape shape, AttentionOptions options, AttentionStrides q,
        AttentionStrides k, AttentionStrides v, AttentionStrides o, bool vectorLoads) =>
        new(q.Batch, q.Seq, q.Head, k.Batch, k.Seq, k.Head, v.Batch, v.Seq, v.Head, o.Batch, o.Seq, o.Head,
            shape.SeqQ, shape.SeqK, shape.Heads, shape.Heads / shape.KvHeads, options.ScaleFor(shape.HeadDim), options.Softcap,
            options.Causal ? 1 : 0, options.WindowLeft, options.WindowRight, vectorLoads ? 1 : 0);

    private static void CheckComputeCapability(CudaStream stream)
    {
        if (stream.Device.ComputeCapability.Major < 8)
            throw new NotSupportedException(
                $"FlashAttention on tensor cores needs compute capability 8.0 or later; {stream.Device.Name} is {stream.Device.ComputeCapability.Major}.{stream.Device.ComputeCapability.Minor}.");
    }

    /// <summary>Whether every input row starts on a 16-byte boundary, so tiles load 8 elements per access.</summary>
    internal static bool VectorLoads(ReadOnlySpan<ulong> pointers, ReadOnlySpan<AttentionStrides> strides)
    {
        const int elementsPer16Bytes = 8; // 16-bit storage
        foreach (ulong pointer in pointers)
            if (pointer % 16 != 0)
                return false;
        foreach (AttentionStrides s in strides)
            if (s.Batch % elementsPer16Bytes != 0 || s.Seq % elementsPer16Bytes != 0 || s.Head % elementsPer16Bytes != 0)
                return false;
        return true;
    }
}
