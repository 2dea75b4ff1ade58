// cuda_emu.h: compiles CUDA device sources as host C++ (g++) and runs them with CUDA's execution
// model on the CPU. CMake force-includes it (-include) before each .cu file, so the sources stay
// plain CUDA: the same text NVRTC compiles. What is emulated:
//   qualifiers      __global__ __device__ __host__ __forceinline__ __noinline__ __launch_bounds__
//   indices         threadIdx blockIdx blockDim gridDim warpSize (emu_scheduler.h)
//   shared memory   `__shared__ T x[N];` static per block; dynamic memory declared at global
//                   scope as `extern __shared__ __align__(16) unsigned char kn_dynamic_shared[];`
//                   (the one name the emulator defines; its size is emu_launch's argument)
//   barriers/warps  __syncthreads __syncwarp __shfl*_sync __ballot_sync __any_sync __all_sync
//   tensor cores    nvcuda::wmma 16x16x16 fragments for __half / __nv_bfloat16 (mma.h)
//   system scope    __threadfence_system, __nanosleep for kernels that several emulated GPUs run
//                   at once, one OS thread each (emu_system_scope.h)
//   the rest        vector types, atomics, fences, bit casts, math intrinsics, __half and
//                   __nv_bfloat16 (Debian's cuda_fp16.h / cuda_bf16.h compile as host code)
// Blocks run one after another, so static __shared__ variables (thread_local statics: one copy
// per OS thread running a launch) are private to the running block. Not emulated: waiting on
// memory written by another block or by another warp in a spin loop (fibers never preempt).
#ifndef CUDA_EMU_H_
#define CUDA_EMU_H_

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// A block-scope thread_local is static: one object per OS thread, i.e. per running block.
#define __shared__ thread_local

#include "emu_intrinsics.h"
#include "emu_scheduler.h"
#include "emu_system_scope.h"
#include "emu_vector_types.h"
#include "emu_warp.h"

#if __has_include(<cuda_fp16.h>)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

#include "mma.h"

extern thread_local __attribute__((aligned(16))) unsigned char kn_dynamic_shared[];

#endif  // CUDA_EMU_H_
