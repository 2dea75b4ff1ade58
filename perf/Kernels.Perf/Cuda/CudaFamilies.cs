namespace Kernels.Perf.Cuda;

/// <summary>Names of the cuda group's measurement families and implementations.</summary>
internal static class CudaFamilies
{
    public const string Group = "cuda";

    /// <summary>Whether a GPU was found: one not-run row whose note says why not.</summary>
    public const string Device = "cuda.device";

    /// <summary>Getting the whole kernel set of cuda/ as a compiled image: Seconds per set.</summary>
    public const string Compile = "cuda.compile";
    public const string ColdCompile = "cold NVRTC compile";
    public const string WarmDiskCache = "warm disk-cache load";
    public const string MemoryHit = "in-memory hit";

    /// <summary>ptxas -v resources, one row per kernel and architecture (see <see cref="PtxasTableCase"/> for the fields).</summary>
    public const string Ptxas = "cuda.ptxas";

    /// <summary>A kernel's GB/s on the GPU; the copy kernel's GB/s is the limit (GPU machines only).</summary>
    public const string DeviceBandwidth = "cuda.bandwidth";
    public const string DeviceCopy = "device copy";

    /// <summary>FlashAttention GFLOP/s on the GPU, one row per shape (GPU machines only).</summary>
    public const string AttentionForward = "cuda.attention.forward";
    public const string AttentionBackward = "cuda.attention.backward";
    public const string FlashAttention = "CudaFlashAttention";

    /// <summary>Tensor-core GFLOP/s of a WMMA probe kernel: the limit of the FlashAttention figures (GPU machines only).</summary>
    public const string WmmaPeak = "cuda.wmma-peak";

    /// <summary>All-reduce busbw across the GPUs of one machine, one row per contender and token count (two or more GPUs).</summary>
    public const string AllReduce = "cuda.allreduce";
    public const string NcclAllReduce = "NCCL all-reduce";
    public const string FusedAllReduceRmsNorm = "fused all-reduce + add + RMSNorm";
    public const string NcclAllReduceThenRmsNorm = "NCCL all-reduce, then add + RMSNorm";

    /// <summary>Implementation of the one row saying the machine has fewer than two GPUs.</summary>
    public const string MultiGpu = "multi-GPU";
}
