/* kernels_cuda_emu.h — C ABI of libkernels_cuda_emu, a test library: the CUDA kernels of cuda/ (*.cu)
 * compiled with g++ against cuda_emu.h and launched on the CPU with the grid and block the caller
 * gives. Tests compare them with the CPU kernels and the float64 reference. Not shipped.
 * Every function returns a kne_status; on failure kne_last_error() holds the message (thread-local).
 */
// bindings: library=kernels_cuda_emu namespace=Kernels.Tests.Cuda.Emulation class=EmulatorMethods constants=EmulatorConstants prefix=kne_ api=KNE_API
#ifndef KERNELS_CUDA_EMU_H
#define KERNELS_CUDA_EMU_H

#include <stddef.h>
#include <stdint.h>

#define KNE_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kne_status {
  KNE_OK = 0,
  KNE_INVALID_ARGUMENT = 1, /* an unknown enum value or a null pointer */
  KNE_LAUNCH_FAILED = 2,    /* the emulator stopped the kernel: bad configuration, deadlock, warp misuse */
} kne_status;

/* Same values as kn_dtype and kn_reduce_op of kernels.h. */
typedef enum kne_dtype { KNE_F32 = 0, KNE_F16 = 1, KNE_BF16 = 2 } kne_dtype;
typedef enum kne_reduce_op { KNE_OP_SUM = 0, KNE_OP_MAX = 1, KNE_OP_MIN = 2 } kne_reduce_op;

typedef enum kne_norm_layout {
  KNE_WARP_PER_ROW = 0,  /* *_warp_per_row: block_x a multiple of 32 */
  KNE_BLOCK_PER_ROW = 1, /* *_block_per_row: block_x a multiple of 32, (block_x / 32) * 4 bytes of dynamic shared memory */
} kne_norm_layout;

/* Scheduler probes: small kernels that exercise one emulator feature each (see emu_probes.cu). */
typedef enum kne_probe {
  KNE_PROBE_SHUFFLES = 0,         /* out[t * 4 + k]: __shfl_sync/_up/_down/_xor of t, width 32 then 8 */
  KNE_PROBE_VOTES = 1,            /* out[t * 3 + k]: __ballot_sync, __any_sync, __all_sync of (t % 3 == 0) */
  KNE_PROBE_SHARED_AND_ATOMICS = 2, /* out[b]: block b's sum of thread indices through __shared__ and atomicAdd */
  KNE_PROBE_BARRIER_SKIPPED = 3,  /* lanes 0-4 wait at __syncthreads, the rest at __syncwarp: a deadlock */
  KNE_PROBE_EXITED_LANE = 4,      /* lane 3 returns before a full-mask shuffle: a warp misuse */
  KNE_PROBE_TRAP = 5,             /* thread 7 calls __trap() */
  KNE_PROBE_HALF_WARPS = 6,       /* out[2h], out[2h + 1]: half-warp h's 64-bit width-16 shuffle reduction under its own mask */
} kne_probe;

/* WMMA probes (see wmma_probes.cu): out holds 512 floats for PRODUCT, 32 for the others. */
typedef enum kne_wmma_probe {
  KNE_WMMA_PROBE_PRODUCT = 0,               /* out[w * 256 + i * 16 + j]: d = a b + c by warp w (0: row-major b, c, d; 1: column-major) */
  KNE_WMMA_PROBE_DIVERGENT = 1,             /* lane 5 skips mma_sync: a warp misuse */
  KNE_WMMA_PROBE_BAD_LEADING_DIMENSION = 2, /* load_matrix_sync with ldm = 12 halves: __trap */
} kne_wmma_probe;

/* Same values as kn_scale_kind of kernels.h. */
typedef enum kne_scale_kind { KNE_SCALE_MEAN_ABS = 0, KNE_SCALE_RMS = 1 } kne_scale_kind;

/* The element-wise error-feedback steps of cuda/error_feedback.cu (kn::FeedbackArgs names the arrays). */
typedef enum kne_feedback_step {
  KNE_FEEDBACK_DIFFERENCE = 0,     /* out = a - b */
  KNE_FEEDBACK_ACCUMULATE = 1,     /* state = state + a */
  KNE_FEEDBACK_STORE_RESIDUAL = 2, /* state = -(b - a) */
  KNE_FEEDBACK_ECONTROL_INPUTS = 3, /* out = eta * state + a - b; state = state + a - b */
  KNE_FEEDBACK_ACCUMULATE_INTO = 4, /* out = state + out; state = out */
} kne_feedback_step;

/* The two algorithms of cuda/fused_allreduce_norm.cu. */
typedef enum kne_fused_algorithm { KNE_FUSED_ONE_SHOT = 0, KNE_FUSED_TWO_SHOT = 1 } kne_fused_algorithm;

KNE_API const char* kne_last_error(void);

/* dst[i] = op(a[i], b[i]) * scale: kn::reduce_elements. */
KNE_API kne_status kne_reduce(kne_dtype dtype, kne_reduce_op op, const void* a, const void* b, void* dst,
                              uint64_t count, float scale, uint32_t grid_x, uint32_t block_x);
/* dst[i] = op(dst[i], src[i]) * scale: kn::reduce_elements with a == dst. */
KNE_API kne_status kne_reduce_accumulate(kne_dtype dtype, kne_reduce_op op, void* dst, const void* src,
                                         uint64_t count, float scale, uint32_t grid_x, uint32_t block_x);
/* dst[i] = (dst_type)(src[i] * scale): kn::convert_elements. */
KNE_API kne_status kne_convert(kne_dtype src_type, const void* src, kne_dtype dst_type, void* dst, uint64_t count,
                               float scale, uint32_t grid_x, uint32_t block_x);
/* kn::rms_norm_{warp,block}_per_row. */
KNE_API kne_status kne_rms_norm(kne_dtype dtype, const void* x, const void* weight, void* y, uint64_t rows,
                                uint64_t cols, float eps, kne_norm_layout layout, uint32_t grid_x, uint32_t block_x);
/* kn::add_rms_norm_{warp,block}_per_row. */
KNE_API kne_status kne_add_rms_norm(kne_dtype dtype, const void* x, void* residual, const void* weight, void* y,
                                    uint64_t rows, uint64_t cols, float eps, kne_norm_layout layout,
                                    uint32_t grid_x, uint32_t block_x);
/* 1-bit compress: kn::onebit_chunk_scales then kn::onebit_signs. e and e_new both null: plain compress of g;
 * both given: the fused EF14 compress (c = g + e, e_new = -(decompress - c); e_new may be e). */
KNE_API kne_status kne_onebit_compress(kne_dtype dtype, const void* g, const float* e, uint64_t n, uint64_t chunk,
                                       kne_scale_kind kind, uint32_t* signs, float* scales, float* e_new,
                                       uint32_t grid_x, uint32_t block_x);
/* kn::onebit_decompress into storage dtype. */
KNE_API kne_status kne_onebit_decompress(const uint32_t* signs, const float* scales, uint64_t n, uint64_t chunk,
                                         kne_dtype dtype, void* dst, uint32_t grid_x, uint32_t block_x);
/* Words of device workspace the top-k launch sequence needs for n elements. */
KNE_API uint64_t kne_topk_workspace_words(uint64_t n);
/* Top-k by magnitude: the whole launch sequence of cuda/topk.cu (choose_digit with one block of 32). */
KNE_API kne_status kne_topk(const float* x, uint64_t n, uint64_t k, uint32_t* indices, float* values, uint32_t* workspace,
                            uint32_t grid_x, uint32_t block_x);
/* One error-feedback step of cuda/error_feedback.cu. */
KNE_API kne_status kne_feedback(kne_feedback_step step, float* state, const float* a, const float* b, float* out,
                                uint64_t n, float eta, uint32_t grid_x, uint32_t block_x);
/* kn::attention_merge: the (o, lse) merge of two partial attention results. */
KNE_API kne_status kne_attention_merge(kne_dtype dtype, const void* o_a, const float* lse_a, const void* o_b,
                                       const float* lse_b, void* o, float* lse, uint64_t rows, uint64_t value_dim,
                                       uint32_t grid_x, uint32_t block_x);
/* kn::flash_attention_forward<S, head_dim> (f16/bf16, head_dim 64 or 128) with the operator's launch shape: grid
 * (ceil(seq_q / 64), heads, batch), 128 threads. strides: {batch, seq, head} in elements of q, k, v and o. */
KNE_API kne_status kne_flash_attention_forward(kne_dtype dtype, const void* q, const void* k, const void* v, void* o,
                                               float* lse, uint32_t batch, uint32_t seq_q, uint32_t seq_k,
                                               uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                                               const int64_t* strides, float scale, float softcap, int32_t causal,
                                               int32_t window_left, int32_t window_right, int32_t vector_loads);
/* kn::flash_attention_backward_dkdv<S, head_dim> on grid (ceil(seq_k / 64), kv_heads, batch), then
 * kn::flash_attention_backward_dq<S, head_dim> on grid (ceil(seq_q / 64), heads, batch), 128 threads each. Strides as
 * the forward's; dq, dk, dv and d_o share those of q, k, v and o. */
KNE_API kne_status kne_flash_attention_backward(kne_dtype dtype, const void* q, const void* k, const void* v,
                                                const void* o, const float* lse, const void* d_o, void* dq, void* dk,
                                                void* dv, uint32_t batch, uint32_t seq_q, uint32_t seq_k,
                                                uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                                                const int64_t* strides, float scale, float softcap, int32_t causal,
                                                int32_t window_left, int32_t window_right, int32_t vector_loads);
/* kn::lowrank_m_q: p (rows, rank) = m (rows, cols; row stride ld) q (cols, rank). */
KNE_API kne_status kne_lowrank_m_q(const float* m, const float* q, float* p, uint64_t rows, uint64_t cols, uint64_t ld,
                                   uint32_t rank, uint32_t grid_x, uint32_t block_x);
/* kn::lowrank_mt_p: q (cols, rank) = m^T p. */
KNE_API kne_status kne_lowrank_mt_p(const float* m, const float* p, float* q, uint64_t rows, uint64_t cols, uint64_t ld,
                                    uint32_t rank, uint32_t grid_x, uint32_t block_x);
/* kn::orthonormalize_columns on one block of 256 threads. */
KNE_API kne_status kne_orthonormalize_columns(float* p, uint64_t rows, uint32_t rank, float eps);
/* sizeof the kernels' argument structs (kn::ReduceArgs, kn::ConvertArgs, kn::NormArgs), to check their C# mirrors. */
KNE_API uint64_t kne_reduce_args_bytes(void);
KNE_API uint64_t kne_convert_args_bytes(void);
KNE_API uint64_t kne_norm_args_bytes(void);
/* sizeof kn::OneBitArgs, kn::OneBitDecompressArgs, kn::TopKArgs, kn::FeedbackArgs, kn::MergeArgs, kn::LowRankArgs,
 * kn::OrthonormalizeArgs, kn::FlashForwardArgs. */
KNE_API uint64_t kne_onebit_args_bytes(void);
KNE_API uint64_t kne_onebit_decompress_args_bytes(void);
KNE_API uint64_t kne_topk_args_bytes(void);
KNE_API uint64_t kne_feedback_args_bytes(void);
KNE_API uint64_t kne_merge_args_bytes(void);
KNE_API uint64_t kne_flash_forward_args_bytes(void);
/* sizeof kn::FlashBackwardArgs. */
KNE_API uint64_t kne_flash_backward_args_bytes(void);
KNE_API uint64_t kne_lowrank_args_bytes(void);
KNE_API uint64_t kne_orthonormalize_args_bytes(void);
/* Fused all-reduce (Sum) + residual add + RMSNorm (kn::fused_allreduce_norm_{one,two}_shot) on `world` (1..8)
 * emulated GPUs, one OS thread each, their workspaces in host memory standing in for IPC-mapped device memory.
 * x, residual and y hold `world` pointers (rank order) to (rows, cols) arrays; weight is shared. Each rank
 * launches `launches` times with epochs 1, 2, ... on the same workspaces. Only the ranks in run_mask launch
 * (the others model a dead peer); status[r] receives rank r's status word: 0, or 1 + the peer it timed out
 * on after timeout_polls polls. grid_x at most 128; block_x a multiple of 32, at most 256. */
KNE_API kne_status kne_fused_allreduce_norm(kne_dtype dtype, kne_fused_algorithm algorithm, uint32_t world,
                                            const void* const* x, void* const* residual, const void* weight,
                                            void* const* y, uint64_t rows, uint64_t cols, float eps, uint32_t launches,
                                            uint32_t run_mask, uint32_t timeout_polls, uint32_t* status,
                                            uint32_t grid_x, uint32_t block_x);
/* sizeof kn::FusedNormArgs. */
KNE_API uint64_t kne_fused_norm_args_bytes(void);
/* Runs one probe kernel with grid (grid_x) and block (block_x); out needs the size the probe states. */
KNE_API kne_status kne_probe_run(kne_probe probe, int32_t* out, uint32_t grid_x, uint32_t block_x);
/* Runs one WMMA probe kernel with its own launch shape. */
KNE_API kne_status kne_wmma_probe_run(kne_wmma_probe probe, float* out);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_CUDA_EMU_H */
