// Row pieces shared by rms_norm and add_rms_norm: the scale factor of a row and the weighted
// output pass. Included once per Highway target (toggle guard).
//
// Summation order (fixed per target, so reruns give the same bits): while whole groups of 4N
// elements remain, each group is loaded as two Load2 pairs into accumulators 0-1 and 2-3 (lane
// order of the dtype's Load2: consecutive, or even/odd for bf16); the remaining whole vectors and
// the zero-padded tail go to accumulator 0; the total is SumOfLanes((acc0 + acc1) + (acc2 + acc3)).
// Squares use MulAdd: a fused multiply-add on targets with FMA (AVX2, AVX3), multiply then add
// below them, so results differ between targets by rounding only.
#if defined(KN_NORM_RMS_ROW_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_NORM_RMS_ROW_INL_H_
#undef KN_NORM_RMS_ROW_INL_H_
#else
#define KN_NORM_RMS_ROW_INL_H_
#endif

#include <cmath>
#include <cstddef>

#include "hwy/highway.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Four partial sums of squares, filled by the row's first pass in the order documented above.
template <class DF>
struct SquareSums {
  explicit SquareSums(DF df) : s0(hn::Zero(df)), s1(s0), s2(s0), s3(s0) {}

  // 1 / sqrt(sum / cols + eps), in fp32.
  float InvRms(DF df, size_t cols, float eps) const {
    const float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
    return 1.0f / std::sqrt(sum / static_cast<float>(cols) + eps);
  }

  hn::Vec<DF> s0, s1, s2, s3;
};

template <class S, class DF>
HWY_INLINE void WeightVector(DF df, const typename S::T* x, const typename S::T* w,
                             typename S::T* y, hn::Vec<DF> vinv) {
  S::Store(df, hn::Mul(hn::Mul(S::Load(df, x), vinv), S::Load(df, w)), y);
}

// y = (x * inv) * w over one row. y may alias x exactly: each block loads before it stores.
// With kPrefetch, `next` (`cols` readable elements: the following row) is prefetched alongside,
// so its sum-of-squares pass finds it in cache while this pass mostly touches L1.
template <class S, bool kPrefetch = false, class DF>
HWY_INLINE void WeightRow(DF df, const typename S::T* x, const typename S::T* w, typename S::T* y,
                          size_t cols, float inv, const typename S::T* next = nullptr) {
  const size_t N = hn::Lanes(df);
  const auto vinv = hn::Set(df, inv);
  size_t i = 0;
  for (; i + 4 * N <= cols; i += 4 * N) {
    if (kPrefetch) {
      const char* line = reinterpret_cast<const char*>(next + i);
      for (size_t off = 0; off < 4 * N * sizeof(typename S::T); off += 64) {
        hwy::Prefetch(line + off);
      }
    }
    hn::Vec<DF> x0, x1, x2, x3, w0, w1, w2, w3;
    S::Load2(df, x + i, x0, x1);
    S::Load2(df, x + i + 2 * N, x2, x3);
    S::Load2(df, w + i, w0, w1);
    S::Load2(df, w + i + 2 * N, w2, w3);
    S::Store2(df, hn::Mul(hn::Mul(x0, vinv), w0), hn::Mul(hn::Mul(x1, vinv), w1), y + i);
    S::Store2(df, hn::Mul(hn::Mul(x2, vinv), w2), hn::Mul(hn::Mul(x3, vinv), w3), y + i + 2 * N);
  }
  for (; i + N <= cols; i += N) {
    WeightVector<S>(df, x + i, w + i, y + i, vinv);
  }
  if (i < cols) {
    const size_t n = cols - i;
    TailBuffer<S> tx(x + i, n), tw(w + i, n), ty(nullptr, n);
    WeightVector<S>(df, tx.data(), tw.data(), ty.data(), vinv);
    ty.CopyTo(y + i);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_NORM_RMS_ROW_INL_H_
