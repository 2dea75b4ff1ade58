// kn_topk_exact and kn_topk_sampled: the k largest |x| (radix select + one vectorised filter pass),
// and Deep Gradient Compression's sampled-threshold variant.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "compress/topk.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "compress/compress_params.h"
#include "compress/magnitude_key-inl.h"
#include "compress/radix_select-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DU = hn::RebindToUnsigned<DF>;

// Histograms of the keys of every element of x (see SelectKeyBand).
struct DenseKeys {
  const float* x;
  size_t n;

  void Histogram(uint32_t prefix, int prefix_shift, int shift, uint32_t mask, uint32_t* hist) const {
    const DF df;
    const DU du;
    const size_t N = hn::Lanes(df);
    HWY_ALIGN uint32_t keys[hn::MaxLanes(du)];
    const auto vprefix = hn::Set(du, prefix);
    size_t i = 0;
    for (; i + N <= n; i += N) {
      const auto key = MagnitudeKeys(du, hn::LoadU(df, x + i));
      // Later digits match few keys: whole vectors without a match skip the scalar increments.
      if (hn::AllFalse(du, hn::Eq(hn::ShiftRightSame(key, prefix_shift), vprefix))) continue;
      hn::Store(key, du, keys);
      for (size_t j = 0; j < N; ++j) {
        if ((keys[j] >> prefix_shift) == prefix) ++hist[(keys[j] >> shift) & mask];
      }
    }
    for (; i < n; ++i) {
      const uint32_t key = MagnitudeKey(x[i]);
      if ((key >> prefix_shift) == prefix) ++hist[(key >> shift) & mask];
    }
  }
};

// Writes the selected lanes of one vector (ascending indices) and returns how many.
HWY_INLINE size_t EmitSelected(DF df, hn::Vec<DF> v, hn::Mask<DF> selected, uint32_t first,
                               uint32_t* indices, float* values) {
  const DU du;
  hn::CompressBlendedStore(v, selected, df, values);
  const auto index = hn::Add(hn::Iota(du, 0), hn::Set(du, first));
  return hn::CompressBlendedStore(index, hn::RebindMask(du, selected), du, indices);
}

// Keeps every key above band.hi and, in index order, the first (k - band.above) keys in the band.
void FilterBand(const TopKParams& p, const KeyBand& band) {
  const DF df;
  const DU du;
  const size_t N = hn::Lanes(df);
  const auto vhi = hn::Set(du, band.hi);
  const auto vlo = hn::Set(du, band.lo);
  const auto vwidth = hn::Set(du, band.hi - band.lo);
  size_t band_left = p.k - band.above;
  size_t out = 0;
  for (size_t i = 0; i < p.n; i += N) {
    const size_t valid = p.n - i < N ? p.n - i : N;
    hn::Vec<DF> v;
    if (valid == N) {
      v = hn::LoadU(df, p.x + i);
    } else {
      HWY_ALIGN float lanes[hn::MaxLanes(df)] = {};
      std::memcpy(lanes, p.x + i, valid * sizeof(float));
      v = hn::Load(df, lanes);
    }
    const auto in_range = hn::FirstN(du, valid);
    const auto key = MagnitudeKeys(du, v);
    const auto above = hn::And(hn::Gt(key, vhi), in_range);
    // lo <= key <= hi as one unsigned compare: keys below lo wrap to large values.
    const auto in_band = hn::And(hn::Not(hn::Gt(hn::Sub(key, vlo), vwidth)), in_range);
    auto selected = above;
    if (band_left > 0) {
      const size_t band_here = hn::CountTrue(du, in_band);
      if (band_here <= band_left) {
        selected = hn::Or(above, in_band);
        band_left -= band_here;
      } else {
        // The vector holding the last needed tie: take its band lanes in index order, one by one.
        HWY_ALIGN uint32_t keys[hn::MaxLanes(du)];
        hn::Store(key, du, keys);
        for (size_t j = 0; j < valid; ++j) {
          bool take = keys[j] > band.hi;
          if (!take && keys[j] >= band.lo && band_left > 0) {
            take = true;
            --band_left;
          }
          if (take) {
            p.indices[out] = static_cast<uint32_t>(i + j);
            p.values[out] = p.x[i + j];
            ++out;
          }
        }
        continue;
      }
    }
    out += EmitSelected(df, v, hn::RebindMask(df, selected), static_cast<uint32_t>(i),
                        p.indices + out, p.values + out);
  }
}

void TopKExact(const TopKParams& p) {
  DenseKeys keys{p.x, p.n};
  FilterBand(p, SelectKeyBand<true>(keys, p.k));
}

// SplitMix64 (Steele, Lea, Flood 2014): the j-th sample position, the same on every target.
inline size_t SamplePosition(uint64_t seed, size_t j, size_t n) {
  uint64_t z = seed + (static_cast<uint64_t>(j) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  // Multiply-shift maps z onto [0, n) with a bias below n / 2^64: no modulo, no rejection loop.
  return static_cast<size_t>((static_cast<unsigned __int128>(z) * n) >> 64);
}

// Histograms of the keys at the sample positions; positions are regenerated on each pass.
struct SampledKeys {
  const float* x;
  size_t n;
  size_t sample_size;
  uint64_t seed;

  void Histogram(uint32_t prefix, int prefix_shift, int shift, uint32_t mask, uint32_t* hist) const {
    for (size_t j = 0; j < sample_size; ++j) {
      const uint32_t key = MagnitudeKey(x[SamplePosition(seed, j, n)]);
      if ((key >> prefix_shift) == prefix) ++hist[(key >> shift) & mask];
    }
  }
};

// Keeps every key >= threshold in index order; false (output garbage) once capacity would overflow.
bool FilterAtLeast(const SampledTopKParams& p, uint32_t threshold) {
  const DF df;
  const DU du;
  const size_t N = hn::Lanes(df);
  const TopKParams& e = p.exact;
  const auto vthreshold = hn::Set(du, threshold);
  size_t out = 0;
  for (size_t i = 0; i < e.n; i += N) {
    const size_t valid = e.n - i < N ? e.n - i : N;
    hn::Vec<DF> v;
    if (valid == N) {
      v = hn::LoadU(df, e.x + i);
    } else {
      HWY_ALIGN float lanes[hn::MaxLanes(df)] = {};
      std::memcpy(lanes, e.x + i, valid * sizeof(float));
      v = hn::Load(df, lanes);
    }
    const auto selected =
        hn::And(hn::Not(hn::Gt(vthreshold, MagnitudeKeys(du, v))), hn::FirstN(du, valid));
    if (out + hn::CountTrue(du, selected) > p.capacity) return false;
    out += EmitSelected(df, v, hn::RebindMask(df, selected), static_cast<uint32_t>(i),
                        e.indices + out, e.values + out);
  }
  *p.kept = out;
  return true;
}

void TopKSampled(const SampledTopKParams& p) {
  const TopKParams& e = p.exact;
  SampledKeys sample{e.x, e.n, p.sample_size, p.seed};
  // The sample's rank matching k / n: ceil(k * s / n), in [1, s] because 1 <= k <= n.
  const size_t rank = static_cast<size_t>(
      (static_cast<unsigned __int128>(e.k) * p.sample_size + e.n - 1) / e.n);
  const uint32_t threshold = SelectKeyBand<false>(sample, rank).lo;
  if (FilterAtLeast(p, threshold)) return;
  TopKExact(e);
  *p.kept = e.k;
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(TopKExact);
HWY_EXPORT(TopKSampled);

namespace {
kn_status CheckTopK(const char* fn, const float* x, size_t n, size_t k, const uint32_t* indices,
                    const float* values) {
  KN_CHECK_ARG(n <= UINT32_MAX, "%s: n = %zu does not fit the uint32 indices", fn, n);
  KN_CHECK_ARG(k >= 1 && k <= n, "%s: k = %zu must be in [1, n = %zu]", fn, k, n);
  KN_CHECK_OK(CheckPointer(fn, "x", x, n));
  KN_CHECK_OK(CheckPointer(fn, "indices", indices, k));
  return CheckPointer(fn, "values", values, k);
}
}  // namespace
}  // namespace kn

extern "C" {

KN_API kn_status kn_topk_exact(const float* x, size_t n, size_t k, uint32_t* indices, float* values) {
  KN_CHECK_OK(kn::CheckTopK("kn_topk_exact", x, n, k, indices, values));
  HWY_DYNAMIC_DISPATCH(kn::TopKExact)(kn::TopKParams{x, n, k, indices, values});
  return KN_OK;
}

KN_API kn_status kn_topk_sampled(const float* x, size_t n, size_t k, size_t sample_size, uint64_t seed,
                                 size_t capacity, uint32_t* indices, float* values, size_t* kept) {
  static constexpr const char* kFn = "kn_topk_sampled";
  KN_CHECK_ARG(capacity >= k, "%s: capacity = %zu is less than k = %zu", kFn, capacity, k);
  KN_CHECK_OK(kn::CheckTopK(kFn, x, n, k, indices, values));
  KN_CHECK_ARG(sample_size >= 1, "%s: sample_size is 0", kFn);
  KN_CHECK_OK(kn::CheckPointer(kFn, "kept", kept, 1));
  HWY_DYNAMIC_DISPATCH(kn::TopKSampled)
  (kn::SampledTopKParams{kn::TopKParams{x, n, k, indices, values}, sample_size, seed, capacity, kept});
  return KN_OK;
}

}  // extern "C"
#endif  // HWY_ONCE
