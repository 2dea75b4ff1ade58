using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// The decode path: when a call has too few query tiles to occupy the cores (batch-1 decoding: one query row per head),
/// the keys are cut into ranges computed in parallel into fp32 partial (O, lse) planes, which are then merged in
/// ascending range order with <see cref="AttentionMerge"/> and rounded once to the output type.
/// </summary>
/// <remarks>
/// Whether to split, and into how many ranges, depends on the shape only (never on the thread count), so results stay
/// bitwise identical across thread counts.
/// </remarks>
internal static unsafe class SplitKeyForward
{
    /// <summary>Fewer query work items than this count as "few": a 2..8-core machine would idle.</summary>
    private const long FewQueryItems = 8;

    /// <summary>Keys per range: 16 tiles of 64, large enough that the merge (one row of dv per range) is negligible.</summary>
    private const int KeysPerSplit = 1024;

    /// <summary>At most this many ranges, bounding the partial buffers.</summary>
    private const int MaxSplits = 64;

    /// <summary>Ranges for this call, or 0 for the ordinary path (always for a caller's strided output).</summary>
    internal static int SplitsFor(AttentionCall call)
    {
        int splits = (int)Math.Min(MaxSplits, (call.Shape.SeqK + KeysPerSplit - 1) / KeysPerSplit);
        return call.QueryItems < FewQueryItems && splits >= 2 && call.OutputIsContiguous ? splits : 0;
    }

    internal static void Run<T>(AttentionCall call, int splits, kn_dtype dtype, nint q, nint k, nint v, Span<T> o, Span<float> lse)
        where T : unmanaged
    {
        AttentionShape shape = call.Shape;
        int outputLength = (int)shape.OutputLength, rows = (int)shape.RowCount;
        float[] partialO = GC.AllocateUninitializedArray<float>(splits * outputLength);
        float[] partialLse = GC.AllocateUninitializedArray<float>(splits * rows);
        fixed (float* po = partialO)
        fixed (float* plse = partialLse)
        fixed (long* strides = call.Strides)
        {
            nint io = (nint)po, ilse = (nint)plse, istrides = (nint)strides;
            AttentionWork.Run(call.QueryItems * splits, call.FlopsPerQueryItem / splits, call.WorkspaceBytes, (begin, count, workspace, bytes) =>
            {
                long* s = (long*)istrides;
                return NativeMethods.kn_flash_attention_forward_split(dtype, (void*)q, (void*)k, (void*)v, (float*)io, (float*)ilse,
                    (nuint)shape.Batch, (nuint)shape.SeqQ, (nuint)shape.SeqK, (nuint)shape.Heads, (nuint)shape.KvHeads,
                    (nuint)shape.HeadDim, (nuint)shape.ValueHeadDim, s, s + 3, s + 6, call.Scale, call.Causal,
                    call.WindowLeft, call.WindowRight, call.Softcap, (nuint)splits, (nuint)begin, (nuint)count, workspace, bytes);
            });
        }

        Span<float> mergedO = partialO.AsSpan(0, outputLength);
        Span<float> mergedLse = partialLse.AsSpan(0, rows);
        for (int split = 1; split < splits; split++)
        {
            AttentionMerge.Merge<float>(mergedO, mergedLse, partialO.AsSpan(split * outputLength, outputLength),
                partialLse.AsSpan(split * rows, rows), mergedO, mergedLse, shape.ValueHeadDim);
        }
        // Row by row through o's strides: a grouped decode's view (see GroupedDecode) orders rows differently in memory.
        long[] layout = call.Strides;
        int dv = shape.ValueHeadDim, row = 0;
        for (int b = 0; b < shape.Batch; b++)
        {
            for (int s = 0; s < shape.SeqQ; s++)
            {
                for (int h = 0; h < shape.Heads; h++, row++)
                {
                    Conversion.Convert<float, T>(mergedO.Slice(row * dv, dv), o.Slice((int)(b * layout[9] + s * layout[10] + h * layout[11]), dv));
                }
            }
        }
        mergedLse.CopyTo(lse);
    }
}
