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
} kne_probe;

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
/* sizeof the kernels' argument structs (kn::ReduceArgs, kn::ConvertArgs, kn::NormArgs), to check their C# mirrors. */
KNE_API uint64_t kne_reduce_args_bytes(void);
KNE_API uint64_t kne_convert_args_bytes(void);
KNE_API uint64_t kne_norm_args_bytes(void);
/* Runs one probe kernel with grid (grid_x) and block (block_x); out needs the size the probe states. */
KNE_API kne_status kne_probe_run(kne_probe probe, int32_t* out, uint32_t grid_x, uint32_t block_x);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_CUDA_EMU_H */
