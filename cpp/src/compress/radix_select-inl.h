// Radix select on 31-bit magnitude keys: finds the band of keys holding the k-th largest, from
// histograms of three digits (11, 11 and 9 bits, most significant first). Each digit's histogram
// counts only the keys that share the digits found so far, so no candidate list is stored and
// nothing is allocated. Included once per Highway target.
#if defined(KN_COMPRESS_RADIX_SELECT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_COMPRESS_RADIX_SELECT_INL_H_
#undef KN_COMPRESS_RADIX_SELECT_INL_H_
#else
#define KN_COMPRESS_RADIX_SELECT_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {

// The k-th largest key lies in [lo, hi]; `above` keys are > hi. Either lo == hi (the k-th key
// itself), or every key in the band is among the k largest (count(band) == k - above).
struct KeyBand {
  uint32_t lo;
  uint32_t hi;
  size_t above;
};

constexpr int kDigitCount = 3;
constexpr int kDigitShift[kDigitCount] = {20, 9, 0};
constexpr int kDigitBits[kDigitCount] = {11, 11, 9};
constexpr size_t kMaxBuckets = size_t{1} << 11;

// Source::Histogram(prefix, prefix_shift, shift, mask, hist) adds 1 to hist[(key >> shift) & mask]
// for every key with (key >> prefix_shift) == prefix. kStopAtWholeBand: return as soon as a whole
// bucket is needed (top-k filtering); otherwise always resolve the k-th key (a sample threshold).
template <bool kStopAtWholeBand, class Source>
KeyBand SelectKeyBand(Source& source, size_t k) {
  uint32_t prefix = 0;
  int prefix_shift = 31;  // keys are < 2^31: every key matches the empty prefix
  size_t above = 0;
  uint32_t hist[kMaxBuckets];
  for (int digit = 0; digit < kDigitCount; ++digit) {
    const int shift = kDigitShift[digit];
    const uint32_t buckets = 1u << kDigitBits[digit];
    std::memset(hist, 0, buckets * sizeof(uint32_t));
    source.Histogram(prefix, prefix_shift, shift, buckets - 1, hist);
    const size_t need = k - above;  // >= 1, and the prefix bucket holds at least `need` keys
    uint32_t bucket = buckets - 1;
    size_t above_here = 0;
    while (above_here + hist[bucket] < need) above_here += hist[bucket--];
    above += above_here;
    prefix = (prefix << kDigitBits[digit]) | bucket;
    prefix_shift = shift;
    if (digit == kDigitCount - 1 || (kStopAtWholeBand && hist[bucket] == need - above_here)) {
      const uint32_t lo = prefix << shift;
      return KeyBand{lo, lo | ((1u << shift) - 1u), above};
    }
  }
  return KeyBand{0, 0, 0};  // unreachable: the last digit always returns
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_COMPRESS_RADIX_SELECT_INL_H_
