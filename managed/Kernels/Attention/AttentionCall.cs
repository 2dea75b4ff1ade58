using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// The native arguments every attention kernel shares, resolved from a validated shape, options and strides: the
/// effective scale, the mask, the work-item counts and the {batch, seq, head} strides of q, k, v and o.
/// </summary>
internal sealed class AttentionCall
{
    /// <param name="shape">The validated problem shape.</param>
    /// <param name="options">Scale, mask, window and softcap.</param>
    /// <param name="q">Strides of q.</param>
    /// <param name="k">Strides of k.</param>
    /// <param name="v">Strides of v.</param>
    /// <param name="o">Strides of o.</param>
    /// <param name="outputIsContiguous">Whether the caller's o is dense, when <paramref name="o"/> is a view of it that
    /// reorders rows (see <see cref="GroupedDecode"/>); null = whether <paramref name="o"/> is dense.</param>
    internal AttentionCall(AttentionShape shape, AttentionOptions options,
        AttentionStrides q, AttentionStrides k, AttentionStrides v, AttentionStrides o, bool? outputIsContiguous = null)
    {
        Shape = shape;
        Scale = options.ScaleFor(shape.HeadDim);
        Causal = options.Causal ? 1 : 0;
        WindowLeft = options.WindowLeft;
        WindowRight = options.WindowRight;
        Softcap = options.Softcap;
        long block = (long)NativeMethods.kn_attention_block();
        QueryItems = (long)shape.Batch * shape.Heads * ((shape.SeqQ + block - 1) / block);
        KeyItems = (long)shape.Batch * shape.KvHeads * ((shape.SeqK + block - 1) / block);
        WorkspaceBytes = NativeMethods.kn_flash_attention_workspace_size((nuint)shape.HeadDim, (nuint)shape.ValueHeadDim);
        Strides = [q.Batch, q.Seq, q.Head, k.Batch, k.Seq, k.Head, v.Batch, v.Seq, v.Head, o.Batch, o.Seq, o.Head];
        OutputIsContiguous = outputIsContiguous ?? o == AttentionStrides.Contiguous(shape.SeqQ, shape.Heads, shape.ValueHeadDim);
    }

    /// <summary>Contiguous strides of every tensor of <paramref name="shape"/>.</summary>
    internal static (AttentionStrides Q, AttentionStrides K, AttentionStrides V, AttentionStrides O) ContiguousStrides(AttentionShape shape) => (
        AttentionStrides.Contiguous(shape.SeqQ, shape.Heads, shape.HeadDim),
        AttentionStrides.Contiguous(shape.SeqK, shape.KvHeads, shape.HeadDim),
        AttentionStrides.Contiguous(shape.SeqK, shape.KvHeads, shape.ValueHeadDim),
        AttentionStrides.Contiguous(shape.SeqQ, shape.Heads, shape.ValueHeadDim));

    internal AttentionShape Shape { get; }
    internal float Scale { get; }
    internal int Causal { get; }
    internal long WindowLeft { get; }
    internal long WindowRight { get; }
    internal float Softcap { get; }
    internal long QueryItems { get; }
    internal long KeyItems { get; }
    internal nuint WorkspaceBytes { get; }
    /// <summary>{batch, seq, head} strides in elements of q, k, v and o, in that order (the native int64_t[3] x 4).</summary>
    internal long[] Strides { get; }

    /// <summary>Whether the caller's o is dense: the split-KV path is kept for dense outputs (a choice by shape and layout only).</summary>
    internal bool OutputIsContiguous { get; }

    /// <summary>Approximate FLOPs of one query tile against all keys (forward), for the threading threshold.</summary>
    internal double FlopsPerQueryItem =>
        2.0 * (double)NativeMethods.kn_attention_block() * Shape.SeqK * (Shape.HeadDim + Shape.ValueHeadDim);

    /// <summary>Approximate FLOPs of one key tile against all query heads of its group (backward).</summary>
    internal double FlopsPerKeyItem =>
        5.0 * (double)NativeMethods.kn_attention_block() * Shape.SeqQ * (Shape.Heads / Shape.KvHeads) * (Shape.HeadDim + Shape.ValueHeadDim);
}
