// Turning one row of raw dot products q.k into scores: scale, optional softcap, mask.
// Shared by the forward and backward kernels so both see bit-identical scores.
//
// Included once per target by foreach_target.h, hence the toggle guard instead of #pragma once.
#if defined(KN_ATTENTION_SCORE_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_ATTENTION_SCORE_ROWS_INL_H_
#undef KN_ATTENTION_SCORE_ROWS_INL_H_
#else
#define KN_ATTENTION_SCORE_ROWS_INL_H_
#endif

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <limits>

#include "attention/attention_mask.h"
#include "attention/attention_params.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// s = dot * scale, or cap * tanh(dot * scale / cap), in natural-log units: Highway 1.0.3 has Exp
// but no Exp2, and its Exp already multiplies by log2(e) internally, so folding log2(e) into the
// scale would save nothing. The softcap's derivative ds/d(dot * scale) is
// 1 - tanh^2, written to cap_grad when it is not null.
struct ScoreTransform {
  float dot_factor;  // scale, or scale / cap
  float softcap;     // 0 = none

  explicit ScoreTransform(const AttentionProblem& p)
      : dot_factor(p.softcap > 0.0f ? p.scale / p.softcap : p.scale), softcap(p.softcap) {}
};

// In place over row[0, kAttentionBlock): scores of one query against a tile of keys, or (transposed
// layout) of one key against a tile of queries. Lanes whose index (first_index + j) lies outside
// `visible` become -inf unless `unmasked`. fold(j, s) sees each vector of final scores.
template <class DF, class Fold>
HWY_INLINE void TransformRow(DF df, const ScoreTransform& t, float* HWY_RESTRICT row,
                             float* HWY_RESTRICT cap_grad, int64_t first_index, IndexRange visible,
                             bool unmasked, const Fold& fold) {
  const hn::RebindToSigned<DF> di;
  const size_t N = hn::Lanes(df);
  const auto factor = hn::Set(df, t.dot_factor);
  const auto cap = hn::Set(df, t.softcap);
  const auto neg_inf = hn::Set(df, -std::numeric_limits<float>::infinity());
  // Highway 1.0.3 has no signed Ge: index >= begin is index > begin - 1. Clamped to the tile so the
  // int32 lanes cannot overflow.
  const int64_t lo = std::max<int64_t>(visible.begin - first_index, 0);
  const int64_t hi = std::min<int64_t>(visible.end - first_index, kAttentionBlock);
  const auto before = hn::Set(di, static_cast<int32_t>(lo - 1));
  const auto end = hn::Set(di, static_cast<int32_t>(std::max<int64_t>(hi, 0)));
  for (size_t j = 0; j < kAttentionBlock; j += N) {
    auto s = hn::Mul(hn::LoadU(df, row + j), factor);
    if (t.softcap > 0.0f) {
      const auto tanh = hn::Tanh(df, s);
      if (cap_grad != nullptr) {
        hn::StoreU(hn::NegMulAdd(tanh, tanh, hn::Set(df, 1.0f)), df, cap_grad + j);
      }
      s = hn::Mul(cap, tanh);
    }
    if (!unmasked) {
      const auto index = hn::Iota(di, static_cast<int32_t>(j));
      const auto in = hn::And(hn::Gt(index, before), hn::Lt(index, end));
      s = hn::IfThenElse(hn::RebindMask(df, in), s, neg_inf);
    }
    hn::StoreU(s, df, row + j);
    fold(j, s);
  }
}

// One key's row of scores against a tile of queries; column_max[i] = max(column_max[i], s[i]).
template <class DF>
HWY_INLINE void ScoreKeyRow(DF df, const ScoreTransform& t, float* HWY_RESTRICT row,
                            int64_t first_query, IndexRange visible, bool unmasked,
                            float* HWY_RESTRICT column_max) {
  TransformRow(df, t, row, nullptr, first_query, visible, unmasked,
               [df, column_max](size_t j, hn::Vec<DF> s) {
                 hn::StoreU(hn::Max(hn::LoadU(df, column_max + j), s), df, column_max + j);
               });
}

// exp(x) for x <= 0 (a score minus its row's running max) or -inf (a masked score), for the
// forward's probabilities: 2^n * q(f) with n = nearest(x log2 e), f = x log2 e - n in ~[-0.5, 0.5]
// and q a degree-6 fit of 2^f (relative error 2.2e-9, below float rounding). Results under 2^-126
// become 0. 15 operations against ~24 for Highway's Exp, whose exact (Cody-Waite) reduction keeps
// ~1 ulp at large |x|; here the rounding of x log2 e grows the relative error with |x|, which costs
// nothing next to the row max's exp(0) = 1. Against double exp over every float in [-90, 0]:
// relative error <= 9.3e-8 on [-1, 0], 2.1e-7 on [-10, -1], 1.1e-6 below; absolute <= 6.6e-8.
// Forward d = 128, seq 4096, one thread, AVX3: 75-80% -> 78-84% of the core's FMA peak (causal
// 73-75% -> 76-79%); AVX2 unchanged within noise. The backward keeps Highway's Exp.
template <class DF>
HWY_INLINE hn::Vec<DF> ExpOfNonPositive(DF df, hn::Vec<DF> x) {
  const auto log2e = hn::Set(df, 1.44269504088896341f);
  const auto t = hn::Mul(x, log2e);
  const auto n = hn::NearestInt(t);
  const auto f = hn::MulSub(x, log2e, hn::ConvertTo(df, n));
  auto q = hn::Set(df, 1.537070988e-04f);
  q = hn::MulAdd(q, f, hn::Set(df, 1.339985315e-03f));
  q = hn::MulAdd(q, f, hn::Set(df, 9.618373265e-03f));
  q = hn::MulAdd(q, f, hn::Set(df, 5.550329023e-02f));
  q = hn::MulAdd(q, f, hn::Set(df, 2.402264846e-01f));
  q = hn::MulAdd(q, f, hn::Set(df, 6.931472056e-01f));
  q = hn::MulAdd(q, f, hn::Set(df, 1.0f));
  // n in [-126, 0] wherever the result is kept, so n + 127 is a normal float's biased exponent.
  // Unsigned lanes: n of a NaN or -inf x (saturated to an int32 limit) wraps instead of overflowing.
  const hn::RebindToUnsigned<DF> du;
  const auto biased = hn::Add(hn::BitCast(du, n), hn::Set(du, 127u));
  const auto two_n = hn::BitCast(df, hn::ShiftLeft<23>(biased));
  return hn::IfThenZeroElse(hn::Lt(t, hn::Set(df, -126.0f)), hn::Mul(q, two_n));
}

// row[i] = exp(row[i] - shift[i]) in place; column_sum[i] += row[i].
template <class DF>
HWY_INLINE void ExpKeyRow(DF df, float* HWY_RESTRICT row, const float* HWY_RESTRICT shift,
                          float* HWY_RESTRICT column_sum) {
  for (size_t j = 0; j < kAttentionBlock; j += hn::Lanes(df)) {
    const auto p = ExpOfNonPositive(df, hn::Sub(hn::LoadU(df, row + j), hn::LoadU(df, shift + j)));
    hn::StoreU(p, df, row + j);
    hn::StoreU(hn::Add(hn::LoadU(df, column_sum + j), p), df, column_sum + j);
  }
}

// row[j] = exp(row[j] - shift) in place (masked -inf scores give 0).
template <class DF>
HWY_INLINE void ExpRow(DF df, float* HWY_RESTRICT row, float shift) {
  const auto m = hn::Set(df, shift);
  for (size_t j = 0; j < kAttentionBlock; j += hn::Lanes(df)) {
    hn::StoreU(hn::Exp(df, hn::Sub(hn::LoadU(df, row + j), m)), df, row + j);
  }
}

// Zeroes row[0, width).
template <class DF>
HWY_INLINE void ZeroRow(DF df, float* row, size_t width) {
  for (size_t j = 0; j < width; j += hn::Lanes(df)) hn::StoreU(hn::Zero(df), df, row + j);
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_ATTENTION_SCORE_ROWS_INL_H_
