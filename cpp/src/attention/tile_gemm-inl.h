// C (+)= A B on fp32 tiles with a register-blocked micro-kernel: the attention kernels' matrix
// products (S = Q K^T, O += P V, dP = dO V^T, dV += P^T dO, dK += dS^T Q, dQ += dS K).
//
// A is read through two strides, so a transposed operand (P^T, dS^T) needs no copy: its elements
// are broadcast one at a time anyway. B rows are contiguous and padded to a multiple of the
// micro-tile width (kAttentionPad = 64 floats covers every target). Each C element is a single
// running sum over the depth index in ascending order, one fused multiply-add per term.
//
// Included once per target by foreach_target.h, hence the toggle guard instead of #pragma once.
#if defined(KN_ATTENTION_TILE_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_ATTENTION_TILE_GEMM_INL_H_
#undef KN_ATTENTION_TILE_GEMM_INL_H_
#else
#define KN_ATTENTION_TILE_GEMM_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Micro-tile: kGemmRows rows of C x kGemmVectors vectors, all accumulators in registers, plus
// kGemmVectors B loads and one A broadcast per depth step.
#if HWY_TARGET == HWY_SCALAR
inline constexpr size_t kGemmRows = 4;
inline constexpr size_t kGemmVectors = 4;
#elif HWY_TARGET <= HWY_AVX3
// 32 zmm: 16 accumulators + 4 B + 1 A; 8 loads (4 B, 4 broadcasts) per 16 FMAs. With it the whole
// forward ran at ~60-70% of the 2-thread FMA peak (Zen 5). 6x4 (24 accumulators, 10 loads per 24
// FMAs) measured no better: forward d = 128, seq 4096, one thread, CPU ms, alternating runs:
// 4x4 87-88 vs 6x4 88-95. Nor did 12x2 (half the B bytes streamed from L2 per FMA):
// 2 threads, best of 6 alternating runs, 4x4 332 vs 12x2 275 GFLOP/s (typical runs ~186 both).
// Retested with f32 K read in place (one thread, thread CPU time against an FMA loop, seq 4096,
// one head, medians of 7 calls in 3 alternating runs): 4x4 72-76% of the core's peak vs 6x4 66-71%;
// S^T = K Q^T in two depth halves (half of Q^T stays in L1) 72-78% vs 74-78% in one pass.
inline constexpr size_t kGemmRows = 4;
inline constexpr size_t kGemmVectors = 4;
#else
// 16 ymm/xmm: 12 accumulators + 2 B + 1 A.
inline constexpr size_t kGemmRows = 6;
inline constexpr size_t kGemmVectors = 2;
#endif

// Strided view of A: element (r, k) at data[r * row + k * col].
struct StridedMatrix {
  const float* data;
  size_t row;
  size_t col;
};

// kRows rows of C (kRows <= kGemmRows) x kGemmVectors vectors. A row count below kGemmRows is its
// own instantiation, so a short tile (a decode step's single query row, a tile's last rows) issues
// only the FMAs it keeps: computing duplicate rows made a 1-row O += P V cost as much as 4 rows.
template <size_t kRows, bool kAccumulate, class DF>
HWY_INLINE void GemmMicroTile(DF df, size_t depth, StridedMatrix a, const float* HWY_RESTRICT b,
                              size_t ldb, float* HWY_RESTRICT c, size_t ldc) {
  using V = hn::Vec<DF>;
  const size_t N = hn::Lanes(df);
  V acc[kRows][kGemmVectors];
  HWY_UNROLL(16)
  for (size_t r = 0; r < kRows; ++r) {
    HWY_UNROLL(16)
    for (size_t v = 0; v < kGemmVectors; ++v) {
      acc[r][v] = kAccumulate ? hn::LoadU(df, c + r * ldc + v * N) : hn::Zero(df);
    }
  }
  for (size_t k = 0; k < depth; ++k) {
    V bv[kGemmVectors];
    HWY_UNROLL(16)
    for (size_t v = 0; v < kGemmVectors; ++v) bv[v] = hn::LoadU(df, b + k * ldb + v * N);
    const float* a_k = a.data + k * a.col;
    HWY_UNROLL(16)
    for (size_t r = 0; r < kRows; ++r) {
      const V av = hn::Set(df, a_k[r * a.row]);
      HWY_UNROLL(16)
      for (size_t v = 0; v < kGemmVectors; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  HWY_UNROLL(16)
  for (size_t r = 0; r < kRows; ++r) {
    HWY_UNROLL(16)
    for (size_t v = 0; v < kGemmVectors; ++v) hn::StoreU(acc[r][v], df, c + r * ldc + v * N);
  }
}

// One block of `rows` (1..kRows) rows of C across the full width, with the exact-row micro-tile.
template <size_t kRows, bool kAccumulate, class DF>
HWY_INLINE void GemmRowBlock(DF df, size_t rows, size_t width, size_t depth, StridedMatrix a,
                             const float* HWY_RESTRICT b, size_t ldb, float* HWY_RESTRICT c,
                             size_t ldc) {
  if constexpr (kRows > 1) {
    if (rows < kRows) {
      return GemmRowBlock<kRows - 1, kAccumulate>(df, rows, width, depth, a, b, ldb, c, ldc);
    }
  }
  const size_t step = kGemmVectors * hn::Lanes(df);
  for (size_t j = 0; j < width; j += step) {
    GemmMicroTile<kRows, kAccumulate>(df, depth, a, b + j, ldb, c + j, ldc);
  }
}

// C (rows, width) (+)= A (rows, depth) B (depth, width); width a multiple of kGemmVectors * N.
template <bool kAccumulate, class DF>
HWY_INLINE void TileGemm(DF df, size_t rows, size_t width, size_t depth, StridedMatrix a,
                         const float* HWY_RESTRICT b, size_t ldb, float* HWY_RESTRICT c, size_t ldc) {
  for (size_t r = 0; r < rows; r += kGemmRows) {
    const StridedMatrix a_block{a.data + r * a.row, a.row, a.col};
    GemmRowBlock<kGemmRows, kAccumulate>(df, std::min(kGemmRows, rows - r), width, depth, a_block,
                                         b, ldb, c + r * ldc, ldc);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_ATTENTION_TILE_GEMM_INL_H_
