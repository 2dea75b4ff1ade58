// Pieces shared by the FlashAttention kernels (flash_attention.cu, flash_attention_backward.cu): the block shape,
// the WMMA input type of a storage policy, the visible key range of a query row and the tile loader.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include "float_storage.cuh"

namespace kn {

constexpr int kFlashWarps = 4;
constexpr int kFlashThreads = kFlashWarps * 32;
constexpr int kFlashBlockM = kFlashWarps * 16;

template <class S> struct MmaInput;
template <> struct MmaInput<F16Storage> { using Type = __half; };
template <> struct MmaInput<BF16Storage> { using Type = __nv_bfloat16; };

// The keys query row i sees, [lo, hi] within [0, seq_k); empty when lo > hi. Both ends grow with i. Args: the
// forward or backward parameters (seq_q, seq_k, causal, window_left, window_right).
struct VisibleKeys {
  long long lo, hi;
  template <class Args>
  __device__ VisibleKeys(const Args& a, long long i) {
    const long long diag = i + a.seq_k - a.seq_q;
    lo = 0;
    hi = a.seq_k - 1;
    if (a.causal && diag < hi) hi = diag;
    if (a.window_right >= 0 && diag + a.window_right < hi) hi = diag + a.window_right;
    if (a.window_left >= 0 && diag - a.window_left > lo) lo = diag - a.window_left;
  }
};

// Copies `count` rows of D elements (row stride `stride`) into a dense (kRows, D) tile; rows past
// `count` become zeros, so masked probabilities multiply zeros, never stale shared memory.
template <int D, int kRows>
__device__ __forceinline__ void LoadRows(unsigned short* tile, const unsigned short* src, long long stride, int count,
                                         bool vector_loads) {
  constexpr int kChunksPerRow = D / 8;
  for (int c = threadIdx.x; c < kRows * kChunksPerRow; c += kFlashThreads) {
    const int row = c / kChunksPerRow, col = c % kChunksPerRow * 8;
    uint4 chunk = make_uint4(0, 0, 0, 0);
    if (row < count) {
      const unsigned short* p = src + row * stride + col;
      if (vector_loads) {
        chunk = *reinterpret_cast<const uint4*>(p);
      } else {
        chunk = make_uint4(p[0] | static_cast<unsigned>(p[1]) << 16, p[2] | static_cast<unsigned>(p[3]) << 16,
                           p[4] | static_cast<unsigned>(p[5]) << 16, p[6] | static_cast<unsigned>(p[7]) << 16);
      }
    }
    *reinterpret_cast<uint4*>(tile + row * D + col) = chunk;
  }
}

}  // namespace kn
