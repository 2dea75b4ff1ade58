// Magnitude keys for top-k: |x| as its bit pattern, an unsigned integer that orders like |x|.
// Every NaN maps to one key just above +Inf, so all NaNs rank as the largest magnitudes and tie with
// each other (then the lower index wins, like any tie). Included once per Highway target.
#if defined(KN_COMPRESS_MAGNITUDE_KEY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_COMPRESS_MAGNITUDE_KEY_INL_H_
#undef KN_COMPRESS_MAGNITUDE_KEY_INL_H_
#else
#define KN_COMPRESS_MAGNITUDE_KEY_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr uint32_t kNaNKey = 0x7F800001u;  // one above +Inf's key; the largest key there is

inline uint32_t MagnitudeKey(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  bits &= 0x7FFFFFFFu;
  return bits < kNaNKey ? bits : kNaNKey;
}

template <class DU, class DF = hn::RebindToFloat<DU>>
HWY_INLINE hn::Vec<DU> MagnitudeKeys(DU du, hn::Vec<DF> x) {
  const auto bits = hn::And(hn::BitCast(du, x), hn::Set(du, 0x7FFFFFFFu));
  return hn::Min(bits, hn::Set(du, kNaNKey));
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_COMPRESS_MAGNITUDE_KEY_INL_H_
