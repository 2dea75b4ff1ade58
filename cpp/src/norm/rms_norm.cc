// kn_rms_norm: per row y = x / sqrt(mean(x^2) + eps) * weight, fp32 accumulation.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "norm/rms_norm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "norm/norm_params.h"
#include "norm/rms_row-inl.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class S, class DF>
HWY_INLINE SquareSums<DF> SumSquares(DF df, const typename S::T* x, size_t cols) {
  const size_t N = hn::Lanes(df);
  SquareSums<DF> acc(df);
  size_t i = 0;
  for (; i + 4 * N <= cols; i += 4 * N) {
    hn::Vec<DF> x0, x1, x2, x3;
    S::Load2(df, x + i, x0, x1);
    S::Load2(df, x + i + 2 * N, x2, x3);
    acc.s0 = hn::MulAdd(x0, x0, acc.s0);
    acc.s1 = hn::MulAdd(x1, x1, acc.s1);
    acc.s2 = hn::MulAdd(x2, x2, acc.s2);
    acc.s3 = hn::MulAdd(x3, x3, acc.s3);
  }
  for (; i + N <= cols; i += N) {
    const auto v = S::Load(df, x + i);
    acc.s0 = hn::MulAdd(v, v, acc.s0);
  }
  if (i < cols) {
    TailBuffer<S> tx(x + i, cols - i);  // zero padding adds +0 to the sums
    const auto v = S::Load(df, tx.data());
    acc.s0 = hn::MulAdd(v, v, acc.s0);
  }
  return acc;
}

// The row's scale factor, out of line so the regular and the streaming row loops below share one
// copy of its code (the NaN a NaN row yields depends on the compiler's operand order).
template <class S>
HWY_NOINLINE float RowInvRms(const typename S::T* x, size_t cols, float eps) {
  const hn::ScalableTag<float> df;
  return SumSquares<S>(df, x, cols).InvRms(df, cols, eps);
}

// kLarge: the output goes to DRAM anyway, so stores are non-temporal (StreamStores) and the next
// row is prefetched during the weighting pass.
template <class S, bool kLarge, class DF>
HWY_INLINE void RmsNormRowRange(DF df, const NormParams& p, const typename S::T* w) {
  using Out = std::conditional_t<kLarge, StreamStores<S>, S>;
  for (size_t r = 0; r < p.rows; ++r) {
    const auto* x = static_cast<const typename S::T*>(p.x) + r * p.cols;
    auto* y = static_cast<typename S::T*>(p.y) + r * p.cols;
    // Two passes over x: the row (tens of KiB at most) is still in L1/L2 for the second.
    const float inv = RowInvRms<S>(x, p.cols, p.eps);
    WeightRow<Out, kLarge>(df, x, w, y, p.cols, inv, r + 1 < p.rows ? x + p.cols : x);
  }
}

template <class S>
HWY_NOINLINE void RmsNormRows(const NormParams& p) {
  const hn::ScalableTag<float> df;
  const auto* w = static_cast<const typename S::T*>(p.weight);
  const size_t row_bytes = p.cols * sizeof(typename S::T);
  const size_t align = StreamAlign(df);
  // Non-temporal stores when the output is large and every row starts aligned (then every Store2
  // of WeightRow is aligned); otherwise regular stores.
  if (p.rows * row_bytes >= kRmsNormStreamMinBytes &&
      reinterpret_cast<uintptr_t>(p.y) % align == 0 && row_bytes % align == 0) {
    RmsNormRowRange<S, true>(df, p, w);
    hwy::FlushStream();
  } else {
    RmsNormRowRange<S, false>(df, p, w);
  }
}

// Arguments are validated by kn_rms_norm; dtype is a known value here.
void RmsNorm(const NormParams& p) {
  switch (p.dtype) {
    case KN_F32: return RmsNormRows<F32Storage>(p);
    case KN_F16: return RmsNormRows<F16Storage>(p);
    case KN_BF16: return RmsNormRows<BF16Storage>(p);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(RmsNorm);
}  // namespace kn

extern "C" KN_API kn_status kn_rms_norm(kn_dtype dtype, const void* x, const void* weight, void* y,
                                        size_t rows, size_t cols, float eps) {
  static constexpr const char* kFn = "kn_rms_norm";
  KN_CHECK_OK(kn::CheckDtype(kFn, "dtype", dtype));
  KN_CHECK_OK(kn::CheckEps(kFn, eps));
  KN_CHECK_OK(kn::CheckShape(kFn, rows, cols, dtype));
  if (rows == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "x", x, rows * cols));
  KN_CHECK_OK(kn::CheckPointer(kFn, "weight", weight, cols));
  KN_CHECK_OK(kn::CheckPointer(kFn, "y", y, rows * cols));
  HWY_DYNAMIC_DISPATCH(kn::RmsNorm)
  (kn::NormParams{dtype, x, nullptr, weight, y, rows, cols, eps});
  return KN_OK;
}
#endif  // HWY_ONCE
