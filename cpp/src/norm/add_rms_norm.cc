// kn_add_rms_norm: per row residual = round(x + residual) (written back), then
// y = residual / sqrt(mean(residual^2) + eps) * weight, fp32 accumulation.
// kn_add_rms_norm_publish: the same, also copying each row out for the fused all-reduce.
#include <cstdint>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "norm/add_rms_norm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "norm/norm_params.h"
#include "norm/rms_row-inl.h"
#include "norm/stream_copy-inl.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// First pass: r = round(x + r), stored, and the sum of squares of the rounded values, so the norm
// is exactly that of the residual the caller gets back.
template <class S, class DF>
HWY_INLINE SquareSums<DF> AddSumSquares(DF df, const typename S::T* x, typename S::T* r,
                                        size_t cols) {
  const size_t N = hn::Lanes(df);
  SquareSums<DF> acc(df);
  size_t i = 0;
  for (; i + 4 * N <= cols; i += 4 * N) {
    hn::Vec<DF> x0, x1, x2, x3, s0, s1, s2, s3;
    S::Load2(df, x + i, x0, x1);
    S::Load2(df, x + i + 2 * N, x2, x3);
    S::Load2(df, r + i, s0, s1);
    S::Load2(df, r + i + 2 * N, s2, s3);
    s0 = hn::Add(x0, s0);
    s1 = hn::Add(x1, s1);
    s2 = hn::Add(x2, s2);
    s3 = hn::Add(x3, s3);
    S::StoreRounded2(df, s0, s1, r + i);
    S::StoreRounded2(df, s2, s3, r + i + 2 * N);
    acc.s0 = hn::MulAdd(s0, s0, acc.s0);
    acc.s1 = hn::MulAdd(s1, s1, acc.s1);
    acc.s2 = hn::MulAdd(s2, s2, acc.s2);
    acc.s3 = hn::MulAdd(s3, s3, acc.s3);
  }
  for (; i + N <= cols; i += N) {
    const auto s = S::StoreRounded(df, hn::Add(S::Load(df, x + i), S::Load(df, r + i)), r + i);
    acc.s0 = hn::MulAdd(s, s, acc.s0);
  }
  if (i < cols) {
    const size_t n = cols - i;
    TailBuffer<S> tx(x + i, n), tr(r + i, n);  // zero padding adds +0 to the sums
    const auto s = S::StoreRounded(df, hn::Add(S::Load(df, tx.data()), S::Load(df, tr.data())),
                                   tr.data());
    tr.CopyTo(r + i);
    acc.s0 = hn::MulAdd(s, s, acc.s0);
  }
  return acc;
}

// Memory traffic per row: read x, read r, write r, then read r (still in cache) and write y; the
// second pass never reads x, which is what makes y == x safe.
template <class S>
HWY_NOINLINE void AddRmsNormRows(const NormParams& p) {
  const hn::ScalableTag<float> df;
  const auto* w = static_cast<const typename S::T*>(p.weight);
  for (size_t row = 0; row < p.rows; ++row) {
    const size_t offset = row * p.cols;
    const auto* x = static_cast<const typename S::T*>(p.x) + offset;
    auto* r = static_cast<typename S::T*>(p.residual) + offset;
    auto* y = static_cast<typename S::T*>(p.y) + offset;
    const float inv = AddSumSquares<S>(df, x, r, p.cols).InvRms(df, p.cols, p.eps);
    WeightRow<S>(df, r, w, y, p.cols, inv);
  }
}

// AddRmsNormRows, then per row the residual and y are copied out: y_copy and residual_copy get
// regular stores (their reader comes soon, they should stay in cache), y a streaming copy of
// y_copy's row, still in L1 (y is not read again soon: no write-allocate read). The residual is
// updated in place, a line already read, so it costs no extra read. Same arithmetic, same bits.
template <class S>
HWY_NOINLINE void AddRmsNormPublishRows(const NormParams& p) {
  const hn::ScalableTag<float> df;
  using T = typename S::T;
  const auto* w = static_cast<const T*>(p.weight);
  const size_t row_bytes = p.cols * sizeof(T);
  for (size_t row = 0; row < p.rows; ++row) {
    const size_t offset = row * p.cols;
    const auto* x = static_cast<const T*>(p.x) + offset;
    auto* r = static_cast<T*>(p.residual) + offset;
    auto* y_copy = static_cast<T*>(p.y_copy) + offset;
    const float inv = AddSumSquares<S>(df, x, r, p.cols).InvRms(df, p.cols, p.eps);
    std::memcpy(static_cast<T*>(p.residual_copy) + offset, r, row_bytes);
    WeightRow<S>(df, r, w, y_copy, p.cols, inv);
    StreamCopyBytes(reinterpret_cast<uint8_t*>(static_cast<T*>(p.y) + offset),
                    reinterpret_cast<const uint8_t*>(y_copy), row_bytes);
  }
  hwy::FlushStream();
}

// Arguments are validated by kn_add_rms_norm; dtype is a known value here.
void AddRmsNorm(const NormParams& p) {
  switch (p.dtype) {
    case KN_F32: return AddRmsNormRows<F32Storage>(p);
    case KN_F16: return AddRmsNormRows<F16Storage>(p);
    case KN_BF16: return AddRmsNormRows<BF16Storage>(p);
  }
}

// Arguments are validated by kn_add_rms_norm_publish; dtype is a known value here.
void AddRmsNormPublish(const NormParams& p) {
  switch (p.dtype) {
    case KN_F32: return AddRmsNormPublishRows<F32Storage>(p);
    case KN_F16: return AddRmsNormPublishRows<F16Storage>(p);
    case KN_BF16: return AddRmsNormPublishRows<BF16Storage>(p);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(AddRmsNorm);
HWY_EXPORT(AddRmsNormPublish);

// The checks both entry points share; with rows == 0 the pointers may be null.
static kn_status CheckAddRmsNorm(const char* fn, const NormParams& p) {
  KN_CHECK_OK(CheckDtype(fn, "dtype", p.dtype));
  KN_CHECK_OK(CheckEps(fn, p.eps));
  KN_CHECK_OK(CheckShape(fn, p.rows, p.cols, p.dtype));
  if (p.rows == 0) return KN_OK;
  KN_CHECK_OK(CheckPointer(fn, "x", p.x, p.rows * p.cols));
  KN_CHECK_OK(CheckPointer(fn, "residual", p.residual, p.rows * p.cols));
  KN_CHECK_OK(CheckPointer(fn, "weight", p.weight, p.cols));
  KN_CHECK_OK(CheckPointer(fn, "y", p.y, p.rows * p.cols));
  return KN_OK;
}
}  // namespace kn

extern "C" KN_API kn_status kn_add_rms_norm(kn_dtype dtype, const void* x, void* residual,
                                            const void* weight, void* y, size_t rows, size_t cols,
                                            float eps) {
  const kn::NormParams p{dtype, x, residual, weight, y, rows, cols, eps};
  KN_CHECK_OK(kn::CheckAddRmsNorm("kn_add_rms_norm", p));
  if (rows == 0) return KN_OK;
  HWY_DYNAMIC_DISPATCH(kn::AddRmsNorm)(p);
  return KN_OK;
}

extern "C" KN_API kn_status kn_add_rms_norm_publish(kn_dtype dtype, const void* x, void* residual,
                                                    const void* weight, void* y, void* y_copy,
                                                    void* residual_copy, size_t rows, size_t cols,
                                                    float eps) {
  static constexpr const char* kFn = "kn_add_rms_norm_publish";
  kn::NormParams p{dtype, x, residual, weight, y, rows, cols, eps};
  p.y_copy = y_copy;
  p.residual_copy = residual_copy;
  KN_CHECK_OK(kn::CheckAddRmsNorm(kFn, p));
  if (rows == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "y_copy", y_copy, rows * cols));
  KN_CHECK_OK(kn::CheckPointer(kFn, "residual_copy", residual_copy, rows * cols));
  HWY_DYNAMIC_DISPATCH(kn::AddRmsNormPublish)(p);
  return KN_OK;
}
#endif  // HWY_ONCE
