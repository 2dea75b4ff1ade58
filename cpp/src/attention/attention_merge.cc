// kn_attention_merge: the exact combination of two softmax-attention results over disjoint keys.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "attention/attention_merge.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "attention/attention_params.h"
#include "attention/attention_workspace.h"
#include "attention/tile_rows-inl.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class S>
HWY_NOINLINE void MergeRows(const MergeParams& mp) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const auto* oa = static_cast<const typename S::T*>(mp.o_a);
  const auto* ob = static_cast<const typename S::T*>(mp.o_b);
  auto* o = static_cast<typename S::T*>(mp.o);
  for (size_t r = 0; r < mp.rows; ++r) {
    const float la = mp.lse_a[r], lb = mp.lse_b[r];
    float lse, wa, wb;
    if (std::isnan(la) || std::isnan(lb)) {
      lse = wa = wb = std::numeric_limits<float>::quiet_NaN();
    } else if (la == kNegInf && lb == kNegInf) {
      lse = kNegInf;  // neither side saw a key
      wa = wb = 0.0f;
    } else {
      // lse = hi + log1p(exp(lo - hi)): exact to rounding, and finite whenever one side is.
      const float hi = std::max(la, lb), lo = std::min(la, lb);
      lse = hi + std::log1p(std::exp(lo - hi));
      wa = std::exp(la - lse);
      wb = std::exp(lb - lse);
    }
    const size_t row = r * mp.value_dim;
    // A side with weight 0 contributes exactly 0 (even an Inf or NaN in its O); a NaN weight (a NaN
    // lse) spreads NaN. Add(Mul, Mul) rather than MulAdd keeps the merge bitwise commutative.
    const bool use_a = wa != 0.0f, use_b = wb != 0.0f;
    const auto va = hn::Set(df, wa), vb = hn::Set(df, wb);
    const auto combine = [&](hn::Vec<decltype(df)> a, hn::Vec<decltype(df)> b) {
      const auto term_a = use_a ? hn::Mul(va, a) : hn::Zero(df);
      const auto term_b = use_b ? hn::Mul(vb, b) : hn::Zero(df);
      return hn::Add(term_a, term_b);
    };
    size_t j = 0;
    for (; j + N <= mp.value_dim; j += N) {
      S::Store(df, combine(S::Load(df, oa + row + j), S::Load(df, ob + row + j)), o + row + j);
    }
    if (j < mp.value_dim) {
      const size_t n = mp.value_dim - j;
      TailBuffer<S> ta(oa + row + j, n), tb(ob + row + j, n), to(nullptr, n);
      S::Store(df, combine(S::Load(df, ta.data()), S::Load(df, tb.data())), to.data());
      to.CopyTo(o + row + j);
    }
    mp.lse[r] = lse;
  }
}

// Arguments are validated by kn_attention_merge; dtype is a known value here.
void AttentionMerge(const MergeParams& mp) {
  switch (mp.dtype) {
    case KN_F32: return MergeRows<F32Storage>(mp);
    case KN_F16: return MergeRows<F16Storage>(mp);
    case KN_BF16: return MergeRows<BF16Storage>(mp);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(AttentionMerge);
}  // namespace kn

extern "C" KN_API kn_status kn_attention_merge(kn_dtype dtype, const void* o_a, const float* lse_a,
                                               const void* o_b, const float* lse_b, void* o,
                                               float* lse, size_t rows, size_t value_dim) {
  static constexpr const char* kFn = "kn_attention_merge";
  KN_CHECK_OK(kn::CheckDtype(kFn, "dtype", dtype));
  KN_CHECK_OK(kn::CheckShape(kFn, rows, value_dim, dtype));
  if (rows == 0) return KN_OK;
  KN_CHECK_ARG(o_a && lse_a && o_b && lse_b && o && lse,
               "%s: o_a, lse_a, o_b, lse_b, o and lse must not be null", kFn);
  HWY_DYNAMIC_DISPATCH(kn::AttentionMerge)
  (kn::MergeParams{dtype, o_a, lse_a, o_b, lse_b, o, lse, rows, value_dim});
  return KN_OK;
}
#endif  // HWY_ONCE
