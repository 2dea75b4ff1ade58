using System.Reflection;

namespace Kernels.Cuda;

/// <summary>
/// The kernel sources of cuda/ embedded in this assembly, as NVRTC programs with every kernel
/// instantiation the library launches (its name expressions). Each .cu gets all embedded .cuh as headers.
/// </summary>
internal static class CudaKernelSources
{
    private const string ResourcePrefix = "Kernels.Cuda.Sources.";

    private static readonly string[] Storages = ["kn::F32Storage", "kn::F16Storage", "kn::BF16Storage"];
    private static readonly string[] ReduceOps = ["kn::SumOp", "kn::MaxOp", "kn::MinOp"];
    private static readonly string[] NormKernels =
        ["kn::rms_norm_warp_per_row", "kn::rms_norm_block_per_row", "kn::add_rms_norm_warp_per_row", "kn::add_rms_norm_block_per_row"];

    /// <summary>reduce.cu: reduce_elements for every storage and op.</summary>
    internal static CudaProgramSource Reduce => Load("reduce.cu",
        from s in Storages from op in ReduceOps select $"kn::reduce_elements<{s}, {op}>");

    /// <summary>convert.cu: convert_elements for every pair of storages.</summary>
    internal static CudaProgramSource Convert => Load("convert.cu",
        from src in Storages from dst in Storages select $"kn::convert_elements<{src}, {dst}>");

    /// <summary>rms_norm.cu: both layouts of rms_norm and add_rms_norm for every storage.</summary>
    internal static CudaProgramSource RmsNorm => Load("rms_norm.cu",
        from kernel in NormKernels from s in Storages select $"{kernel}<{s}>");

    /// <summary>onebit.cu: chunk scales (both kinds, with and without the EF14 residual), sign words and decompress for every storage.</summary>
    internal static CudaProgramSource OneBit => Load("onebit.cu",
        (from s in Storages from kind in new[] { 0, 1 } from residual in new[] { "false", "true" }
         select $"kn::onebit_chunk_scales<{s}, {kind}, {residual}>")
        .Concat(from s in Storages from residual in new[] { "false", "true" } select $"kn::onebit_signs<{s}, {residual}>")
        .Concat(from s in Storages select $"kn::onebit_decompress<{s}>"));

    /// <summary>topk.cu: the radix-select and compaction kernels of one top-k.</summary>
    internal static CudaProgramSource TopK => Load("topk.cu",
        ["kn::topk_clear", "kn::topk_histogram", "kn::topk_choose_digit", "kn::topk_count_tiles", "kn::topk_scan_tiles", "kn::topk_emit_tiles"]);

    /// <summary>error_feedback.cu: the element-wise EF14/EF21/EControl steps.</summary>
    internal static CudaProgramSource ErrorFeedback => Load("error_feedback.cu",
        ["kn::feedback_difference", "kn::feedback_accumulate", "kn::feedback_store_residual", "kn::econtrol_inputs", "kn::feedback_accumulate_into"]);

    /// <summary>attention_merge.cu: the (o, lse) merge for every storage.</summary>
    internal static CudaProgramSource AttentionMerge => Load("attention_merge.cu", from s in Storages select $"kn::attention_merge<{s}>");

    /// <summary>flash_attention.cu: the forward kernel for f16 and bf16 at head dims 64 and 128.</summary>
    internal static CudaProgramSource FlashAttention => Load("flash_attention.cu",
        from s in Storages.Skip(1) from d in CudaFlashAttention.HeadDims select $"kn::flash_attention_forward<{s}, {d}>");

    /// <summary>flash_attention_backward.cu: the dK/dV and dQ kernels for f16 and bf16 at head dims 64 and 128.</summary>
    internal static CudaProgramSource FlashAttentionBackward => Load("flash_attention_backward.cu",
        from kernel in new[] { "kn::flash_attention_backward_dkdv", "kn::flash_attention_backward_dq" }
        from s in Storages.Skip(1) from d in CudaFlashAttention.HeadDims select $"{kernel}<{s}, {d}>");

    /// <summary>powersgd.cu: the two products and the orthogonalisation.</summary>
    internal static CudaProgramSource PowerSgd => Load("powersgd.cu", ["kn::lowrank_m_q", "kn::lowrank_mt_p", "kn::orthonormalize_columns"]);

    /// <summary>fused_allreduce_norm.cu: one-shot and two-shot fused all-reduce + add + RMSNorm for every storage.</summary>
    internal static CudaProgramSource FusedAllReduceNorm => Load("fused_allreduce_norm.cu",
        from kernel in new[] { "kn::fused_allreduce_norm_one_shot", "kn::fused_allreduce_norm_two_shot" } from s in Storages select $"{kernel}<{s}>");

    /// <summary>Every kernel program of cuda/, with the name expressions the library launches.</summary>
    public static IReadOnlyList<CudaProgramSource> All => [Reduce, Convert, RmsNorm, OneBit, TopK, ErrorFeedback, AttentionMerge, FlashAttention, FlashAttentionBackward, PowerSgd, FusedAllReduceNorm];

    private static CudaProgramSource Load(string fileName, IEnumerable<string> nameExpressions)
    {
        var assembly = typeof(CudaKernelSources).Assembly;
        var headers = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".cuh", StringComparison.Ordinal))
            .ToDictionary(n => n[ResourcePrefix.Length..], n => Read(assembly, n));
        return new CudaProgramSource(fileName, Read(assembly, ResourcePrefix + fileName), headers, nameExpressions.ToArray());
    }

    private static string Read(Assembly assembly, string resource)
    {
        using Stream stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded CUDA source {resource} is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
