// Pieces shared by the FlashAttention kernels (flash_attention.cu, flash_attention_backward.cu): the block shape,
// the WMMA input type of a storage policy, the visible key range of a query row and of a query block, a head's start,
// the tile loaders and the warp product A B^T.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include "float_storage.cuh"

namespace kn {

constexpr int kFlashWarps = 4;
constexpr int kFlashThreads = kFlashWarps * 32;
constexpr int kFlashBlockM = kFlashWarps * 16;

// The problem both directions share, passed by value inside their argument structs. Strides are in elements, as
// AttentionStrides; the backward's gradients take the strides of their tensors (dq: q, dk: k, dv: v, d_o: o).
struct FlashProblem {
  long long q_batch, q_seq, q_head;  // q: (batch, seq_q, heads, head_dim)
  long long k_batch, k_seq, k_head;  // k: (batch, seq_k, heads / group, head_dim)
  long long v_batch, v_seq, v_head;  // v: (batch, seq_k, heads / group, head_dim)
  long long o_batch, o_seq, o_head;  // o: (batch, seq_q, heads, head_dim)
  int seq_q;
  int seq_k;
  int heads;
  int group;  // query heads per kv head
  float scale;
  float softcap;  // 0 = none
  int causal;
  int window_left;   // -1 = unlimited
  int window_right;  // -1 = unlimited
  int vector_loads;  // 1: every base pointer and stride allows 16-byte loads of 8 elements
};

template <class S>
struct MmaInput;
template <>
struct MmaInput<F16Storage> {
  using Type = __half;
};
template <>
struct MmaInput<BF16Storage> {
  using Type = __nv_bfloat16;
};

// The keys query row i sees, [lo, hi] within [0, seq_k); empty when lo > hi. Both ends grow with i.
struct VisibleKeys {
  long long lo, hi;
  __device__ VisibleKeys(const FlashProblem& a, long long i) {
    const long long diag = i + a.seq_k - a.seq_q;
    lo = 0;
    hi = a.seq_k - 1;
    if (a.causal && diag < hi) hi = diag;
    if (a.window_right >= 0 && diag + a.window_right < hi) hi = diag + a.window_right;
    if (a.window_left >= 0 && diag - a.window_left > lo) lo = diag - a.window_left;
  }
};

// The first element of one (batch, head) of a strided q, k, v, o or d_o tensor.
__device__ __forceinline__ const unsigned short* HeadStart(const void* tensor, int batch, long long batch_stride, int head,
                                                           long long head_stride) {
  return static_cast<const unsigned short*>(tensor) + batch * batch_stride + head * head_stride;
}

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

// The key tiles of kKeys a block of query rows [m0, m0 + rows) visits: from the tile holding the first row's first
// visible key up to the last row's last visible key (masks grow with the row); empty (begin >= end) when no row sees a
// key. Every thread computes the same range.
struct BlockKeyTiles {
  long long begin, end;
  template <int kKeys>
  __device__ static BlockKeyTiles Of(const FlashProblem& problem, int m0, int rows) {
    const VisibleKeys first(problem, m0), last(problem, m0 + rows - 1);
    return {first.lo / kKeys * kKeys, first.lo <= last.hi ? last.hi + 1 : 0};
  }
};

// Replaces the block's K and V tiles with keys [n0, n0 + kKeys) of one kv head (zeros past seq_k). Block barriers on
// both sides: no warp still reads the previous tiles, and every warp sees the new ones (and whatever the block wrote
// to shared memory before).
template <int D, int kKeys>
__device__ __forceinline__ void LoadKeyValueTiles(unsigned short* k_tile, unsigned short* v_tile, const unsigned short* k,
                                                  const unsigned short* v, const FlashProblem& problem, long long n0) {
  __syncthreads();
  const int tile_keys = problem.seq_k - n0 < kKeys ? static_cast<int>(problem.seq_k - n0) : kKeys;
  LoadRows<D, kKeys>(k_tile, k + n0 * problem.k_seq, problem.k_seq, tile_keys, problem.vector_loads != 0);
  LoadRows<D, kKeys>(v_tile, v + n0 * problem.v_seq, problem.v_seq, tile_keys, problem.vector_loads != 0);
  __syncthreads();
}

// out (16, kCols) fp32, row-major = A B^T for a warp: A (16, D) row-major in shared memory, B (kCols, D) the rows of
// a tile (its rows are B^T's columns, so B read column-major is the MMA's B operand).
template <class In, int D, int kCols>
__device__ __forceinline__ void ProductWithRows(const In* a, const unsigned short* b_rows, float* out) {
  using namespace nvcuda;
#pragma unroll
  for (int nt = 0; nt < kCols / 16; ++nt) {
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> frag;
    wmma::fill_fragment(frag, 0.0f);
#pragma unroll
    for (int kt = 0; kt < D / 16; ++kt) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, In, wmma::row_major> a_frag;
      wmma::fragment<wmma::matrix_b, 16, 16, 16, In, wmma::col_major> b_frag;
      wmma::load_matrix_sync(a_frag, a + kt * 16, D);
      wmma::load_matrix_sync(b_frag, reinterpret_cast<const In*>(b_rows + nt * 16 * D + kt * 16), D);
      wmma::mma_sync(frag, a_frag, b_frag, frag);
    }
    wmma::store_matrix_sync(out + nt * 16, frag, kCols, wmma::mem_row_major);
  }
}

}  // namespace kn
