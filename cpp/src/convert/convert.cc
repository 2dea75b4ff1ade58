// kn_convert: dst = (dst_type)(src * scale) between f32, f16 and bf16, round to nearest even.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "convert/convert.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "convert/convert_params.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class Src, class Dst, bool kScale, class DF>
HWY_INLINE void ConvertVector(DF df, const typename Src::T* src, typename Dst::T* dst,
                              hn::Vec<DF> vscale) {
  hn::Vec<DF> v = Src::Load(df, src);
  if (kScale) v = hn::Mul(v, vscale);
  Dst::Store(df, v, dst);
}

// dst may alias src exactly when both types have the same size: each block loads before it stores.
template <class Src, class Dst, bool kScale>
HWY_NOINLINE void ConvertRange(const typename Src::T* src, typename Dst::T* dst, size_t count,
                               float scale) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto vscale = hn::Set(df, scale);
  size_t i = 0;
  for (; i + 4 * N <= count; i += 4 * N) {
    auto v0 = Src::Load(df, src + i), v1 = Src::Load(df, src + i + N);
    auto v2 = Src::Load(df, src + i + 2 * N), v3 = Src::Load(df, src + i + 3 * N);
    if (kScale) {
      v0 = hn::Mul(v0, vscale);
      v1 = hn::Mul(v1, vscale);
      v2 = hn::Mul(v2, vscale);
      v3 = hn::Mul(v3, vscale);
    }
    Dst::Store(df, v0, dst + i);
    Dst::Store(df, v1, dst + i + N);
    Dst::Store(df, v2, dst + i + 2 * N);
    Dst::Store(df, v3, dst + i + 3 * N);
  }
  for (; i + N <= count; i += N) {
    ConvertVector<Src, Dst, kScale>(df, src + i, dst + i, vscale);
  }
  if (i < count) {
    const size_t n = count - i;
    TailBuffer<Src> ts(src + i, n);
    TailBuffer<Dst> td(nullptr, n);
    ConvertVector<Src, Dst, kScale>(df, ts.data(), td.data(), vscale);
    td.CopyTo(dst + i);
  }
}

template <class Src, class Dst>
HWY_INLINE void ConvertTo(const ConvertParams& p) {
  const auto* src = static_cast<const typename Src::T*>(p.src);
  auto* dst = static_cast<typename Dst::T*>(p.dst);
  if (p.scale == 1.0f) {
    ConvertRange<Src, Dst, false>(src, dst, p.count, p.scale);
  } else {
    ConvertRange<Src, Dst, true>(src, dst, p.count, p.scale);
  }
}

template <class Src>
HWY_INLINE void ConvertFrom(const ConvertParams& p) {
  switch (p.dst_type) {
    case KN_F32: return ConvertTo<Src, F32Storage>(p);
    case KN_F16: return ConvertTo<Src, F16Storage>(p);
    case KN_BF16: return ConvertTo<Src, BF16Storage>(p);
  }
}

// Arguments are validated and same-type unscaled copies handled by kn_convert.
void Convert(const ConvertParams& p) {
  switch (p.src_type) {
    case KN_F32: return ConvertFrom<F32Storage>(p);
    case KN_F16: return ConvertFrom<F16Storage>(p);
    case KN_BF16: return ConvertFrom<BF16Storage>(p);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstring>

#include "core/arguments.h"

namespace kn {
HWY_EXPORT(Convert);
}  // namespace kn

extern "C" KN_API kn_status kn_convert(kn_dtype src_type, const void* src, kn_dtype dst_type,
                                       void* dst, size_t count, float scale) {
  static constexpr const char* kFn = "kn_convert";
  KN_CHECK_OK(kn::CheckDtype(kFn, "src_type", src_type));
  KN_CHECK_OK(kn::CheckDtype(kFn, "dst_type", dst_type));
  KN_CHECK_OK(kn::CheckCount(kFn, "count", count, src_type));
  KN_CHECK_OK(kn::CheckCount(kFn, "count", count, dst_type));
  if (count == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "src", src, count));
  KN_CHECK_OK(kn::CheckPointer(kFn, "dst", dst, count));
  if (src_type == dst_type && scale == 1.0f) {
    // An exact copy, signalling NaN payloads included (a round trip through f32 would quiet them).
    if (src != dst) std::memmove(dst, src, count * kn::DtypeSize(src_type));
    return KN_OK;
  }
  HWY_DYNAMIC_DISPATCH(kn::Convert)(kn::ConvertParams{src_type, src, dst_type, dst, count, scale});
  return KN_OK;
}
#endif  // HWY_ONCE
