using System.Runtime.InteropServices;

namespace Kernels.Cuda;

// C# mirrors of the kernels' argument structs in cuda/*.cu: same fields, same order, device pointers as 64-bit
// addresses, so the struct is the kernel's parameter block byte for byte (a test compares the sizes with the
// emulator build of the same structs).

/// <summary>kn::ReduceArgs (cuda/reduce.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ReduceKernelArgs(ulong A, ulong B, ulong Dst, ulong Count, float Scale);

/// <summary>kn::ConvertArgs (cuda/convert.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ConvertKernelArgs(ulong Src, ulong Dst, ulong Count, float Scale);

/// <summary>kn::NormArgs (cuda/rms_norm.cu); Residual is 0 for rms_norm.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct NormKernelArgs(ulong X, ulong Residual, ulong Weight, ulong Y, ulong Rows, ulong Cols, float Eps);

/// <summary>kn::OneBitArgs (cuda/onebit.cu); E and ENew are 0 without error feedback.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct OneBitKernelArgs(ulong X, ulong E, ulong Signs, ulong Scales, ulong ENew, ulong Count, ulong Chunk);

/// <summary>kn::OneBitDecompressArgs (cuda/onebit.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct OneBitDecompressKernelArgs(ulong Signs, ulong Scales, ulong Dst, ulong Count, ulong Chunk);

/// <summary>kn::TopKArgs (cuda/topk.cu); Digit is set per histogram/choose launch.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct TopKKernelArgs(ulong X, ulong Indices, ulong Values, ulong State, ulong Tiles, ulong Count, ulong K, uint Digit);

/// <summary>kn::FeedbackArgs (cuda/error_feedback.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct FeedbackKernelArgs(ulong State, ulong A, ulong B, ulong Out, ulong Count, float Eta);

/// <summary>kn::MergeArgs (cuda/attention_merge.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct MergeKernelArgs(ulong OA, ulong LseA, ulong OB, ulong LseB, ulong O, ulong Lse, ulong Rows, ulong ValueDim);

/// <summary>kn::LowRankArgs (cuda/powersgd.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct LowRankKernelArgs(ulong M, ulong In, ulong Out, ulong Rows, ulong Cols, ulong Ld, uint Rank);

/// <summary>kn::OrthonormalizeArgs (cuda/powersgd.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct OrthonormalizeKernelArgs(ulong P, ulong Rows, uint Rank, float Eps);

/// <summary>kn::FlashProblem (cuda/flash_attention_tiles.cuh): {batch, seq, head} element strides of q, k, v and o, sizes,
/// options.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct FlashProblemKernelArgs(
    long QBatch, long QSeq, long QHead, long KBatch, long KSeq, long KHead,
    long VBatch, long VSeq, long VHead, long OBatch, long OSeq, long OHead,
    int SeqQ, int SeqK, int Heads, int Group, float Scale, float Softcap, int Causal, int WindowLeft, int WindowRight, int VectorLoads);

/// <summary>kn::FlashForwardArgs (cuda/flash_attention.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct FlashForwardKernelArgs(ulong Q, ulong K, ulong V, ulong O, ulong Lse, FlashProblemKernelArgs Problem);

/// <summary>kn::FlashBackwardArgs (cuda/flash_attention_backward.cu); dq, dk, dv and dO take the strides of q, k, v and o.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct FlashBackwardKernelArgs(ulong Q, ulong K, ulong V, ulong O, ulong Lse, ulong DO,
    ulong DQ, ulong DK, ulong DV, FlashProblemKernelArgs Problem);

/// <summary>kn::FusedNormArgs (cuda/fused_allreduce_norm.cu): every rank's workspace address as this rank maps it, then the
/// rank's own buffers, shape and synchronisation settings.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FusedNormKernelArgs
{
    /// <summary>kn::kFusedMaxRanks.</summary>
    internal const int MaxRanks = 8;
    internal fixed ulong Workspaces[MaxRanks];
    internal ulong X, Residual, Weight, Y, Rows, Cols;
    internal float Eps;
    internal uint Rank, World, Epoch, TimeoutPolls;
}
