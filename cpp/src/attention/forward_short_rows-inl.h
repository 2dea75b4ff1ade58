// The forward's step over one key tile for a query tile of few rows (decoding: one row per head).
// The general step puts queries on the SIMD lanes (S^T = K Q^T), so its cost is that of a full
// 64-row tile whatever the row count; here scores are laid out (rows, keys), keys on the lanes, and
// every product, exp and sum is for a real row only.
//
// Included once per target by foreach_target.h, hence the toggle guard instead of #pragma once.
#if defined(KN_ATTENTION_FORWARD_SHORT_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_ATTENTION_FORWARD_SHORT_ROWS_INL_H_
#undef KN_ATTENTION_FORWARD_SHORT_ROWS_INL_H_
#else
#define KN_ATTENTION_FORWARD_SHORT_ROWS_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "attention/attention_mask.h"
#include "attention/attention_params.h"
#include "attention/attention_workspace.h"
#include "attention/score_rows-inl.h"
#include "attention/tile_gemm-inl.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// scores (rows, kAttentionBlock) = Q K^T: one dot product per (row, key) over the padded head
// dimension (zero padding adds nothing), vectorised along d and reduced once. Keys past `cols` get
// 0, which the mask then turns into -inf.
template <class DF>
HWY_INLINE void ShortRowScores(DF df, size_t rows, size_t cols, size_t d_pad,
                               const float* HWY_RESTRICT q_rows, const float* HWY_RESTRICT k_rows,
                               float* HWY_RESTRICT scores) {
  constexpr size_t B = kAttentionBlock;
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < rows; ++r) {
    const float* q = q_rows + r * d_pad;
    for (size_t j = 0; j < cols; ++j) {
      const float* k = k_rows + j * d_pad;
      // Two chains halve the FMA latency each dot product waits on (d_pad is a multiple of 2N).
      auto even = hn::Zero(df), odd = hn::Zero(df);
      for (size_t i = 0; i < d_pad; i += 2 * N) {
        even = hn::MulAdd(hn::LoadU(df, q + i), hn::LoadU(df, k + i), even);
        odd = hn::MulAdd(hn::LoadU(df, q + i + N), hn::LoadU(df, k + i + N), odd);
      }
      scores[r * B + j] = hn::GetLane(hn::SumOfLanes(df, hn::Add(even, odd)));
    }
    for (size_t j = cols; j < B; ++j) scores[r * B + j] = 0.0f;
  }
}

// One key tile [key0, key0 + cols) for query rows [first, first + rows): online softmax per row
// (row_max, row_sum in the workspace) and O (acc_a) += P V.
template <class DF>
HWY_INLINE void ShortRowsKeyTile(DF df, const AttentionProblem& p, const AttentionWorkspace& w,
                                 size_t first, size_t rows, int64_t key0, size_t cols) {
  constexpr size_t B = kAttentionBlock;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t N = hn::Lanes(df);
  const size_t d_pad = PaddedDim(p.head_dim), dv_pad = PaddedDim(p.value_head_dim);
  const AttentionMask mask(p);
  const ScoreTransform transform(p);
  ShortRowScores(df, rows, cols, d_pad, w.q_rows, w.k_rows, w.scores);
  // Lanes past `cols` hold no key, so only a full tile can skip the mask.
  const bool unmasked = cols == B && mask.CoversAll(static_cast<int64_t>(first),
                                                    static_cast<int64_t>(rows), key0, B);
  for (size_t r = 0; r < rows; ++r) {
    float* s = w.scores + r * B;
    auto tile_max = hn::Set(df, kNegInf);
    TransformRow(df, transform, s, nullptr, key0, mask.Row(static_cast<int64_t>(first + r)),
                 unmasked, [&tile_max](size_t, hn::Vec<DF> x) { tile_max = hn::Max(tile_max, x); });
    // As in the general step: a row that has seen nothing keeps max -inf and shifts by 0.
    const float old_max = w.row_max[r];
    const float new_max = std::max(old_max, hn::GetLane(hn::MaxOfLanes(df, tile_max)));
    const float shift = new_max == kNegInf ? 0.0f : new_max;
    const float rescale = std::exp(old_max - shift);
    const auto vshift = hn::Set(df, shift);
    auto sum = hn::Zero(df);
    for (size_t j = 0; j < B; j += N) {
      const auto prob = hn::Exp(df, hn::Sub(hn::LoadU(df, s + j), vshift));
      hn::StoreU(prob, df, s + j);
      sum = hn::Add(sum, prob);
    }
    w.row_max[r] = new_max;
    w.row_sum[r] = w.row_sum[r] * rescale + hn::GetLane(hn::SumOfLanes(df, sum));
    if (rescale != 1.0f) {
      float* o = w.acc_a + r * dv_pad;
      const auto f = hn::Set(df, rescale);
      for (size_t j = 0; j < dv_pad; j += N) hn::StoreU(hn::Mul(hn::LoadU(df, o + j), f), df, o + j);
    }
  }
  TileGemm<true>(df, rows, dv_pad, cols, StridedMatrix{w.scores, B, 1}, w.v_rows, dv_pad, w.acc_a,
                 dv_pad);
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_ATTENTION_FORWARD_SHORT_ROWS_INL_H_
