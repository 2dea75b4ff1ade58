// kn_onebit_compress, kn_onebit_decompress and kn_onebit_compress_ef (and their _typed forms for
// f16/bf16 gradients and decompressed output): signs packed 32 per word with one scale (mean |c| or
// RMS of the finite elements) per chunk, optionally fused with the error-feedback update. A 16-bit
// input is widened to f32 exactly on load, so every dtype runs the same fp32 arithmetic.
//
// Every target computes the same bits: vectors are capped at 16 lanes and the chunk's sum goes to
// 16 fixed partial sums (chunk element j into sum j % 16) whatever the vector width, the squares
// are a multiply then an add (never fused), and the partial sums are combined pairwise
// (s[j] += s[j + w] for w = 8, 4, 2, 1).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "compress/onebit.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "compress/compress_params.h"
#include "simd/float_storage-inl.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "sign words are read and written as little-endian bytes of mask bits");

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr size_t kPartialSums = 16;
using D = hn::CappedTag<float, kPartialSums>;
using DU = hn::RebindToUnsigned<D>;

// `valid` (<= lanes) elements of storage S from p as f32, zero-padded: a padded lane is +0, finite
// and non-negative, so it adds nothing to a sum and sets no sign bit.
template <class S>
HWY_INLINE hn::Vec<D> LoadClipped(D d, const typename S::T* p, size_t valid) {
  if (valid == hn::Lanes(d)) return S::Load(d, p);
  HWY_ALIGN typename S::T lanes[hn::MaxLanes(d)] = {};
  std::memcpy(lanes, p, valid * sizeof(typename S::T));
  return S::Load(d, lanes);
}

// Stores `valid` lanes of v as storage S (16-bit types round to nearest even).
template <class S>
HWY_INLINE void StoreClipped(D d, hn::Vec<D> v, typename S::T* p, size_t valid) {
  if (valid == hn::Lanes(d)) return S::Store(d, v, p);
  HWY_ALIGN typename S::T lanes[hn::MaxLanes(d)];
  S::Store(d, v, lanes);
  std::memcpy(p, lanes, valid * sizeof(typename S::T));
}

// c = x.
template <class S>
struct PlainValues {
  const typename S::T* x;
  HWY_INLINE hn::Vec<D> Load(D d, size_t i, size_t valid) const { return LoadClipped<S>(d, x + i, valid); }
  HWY_INLINE void Prefetch(size_t i) const { hwy::Prefetch(x + i); }
};

// c = g + e; the residual e is always f32.
template <class S>
struct CompensatedValues {
  const typename S::T* g;
  const float* e;
  HWY_INLINE hn::Vec<D> Load(D d, size_t i, size_t valid) const {
    return hn::Add(LoadClipped<S>(d, g + i, valid), LoadClipped<F32Storage>(d, e + i, valid));
  }
  HWY_INLINE void Prefetch(size_t i) const {
    hwy::Prefetch(g + i);
    hwy::Prefetch(e + i);
  }
};

// Pass 1: the chunk's scale from its finite elements.
template <kn_scale_kind kKind, class Values>
float ChunkScale(const Values& values, size_t start, size_t len) {
  const D d;
  constexpr size_t N = hn::MaxLanes(D());
  constexpr size_t kVectors = kPartialSums / N;
  const DU du;
  hn::Vec<D> sums[kVectors];
  for (size_t a = 0; a < kVectors; ++a) sums[a] = hn::Zero(d);
  // Finite lanes counted per lane in a vector (an all-ones mask lane is -1, so subtracting it adds 1):
  // no CountTrue and no scalar dependency per vector. Measured (fused compress_ef, AVX3, 1 thread,
  // 32K floats in L2): 75 GB/s against 69.5 GB/s with CountTrue per vector.
  auto finite_lanes = hn::Zero(du);
  size_t finite = 0;
  const auto flush_counts = [&] {
    HWY_ALIGN uint32_t lane_counts[hn::MaxLanes(du)];
    hn::Store(finite_lanes, du, lane_counts);
    for (size_t j = 0; j < N; ++j) finite += lane_counts[j];
    finite_lanes = hn::Zero(du);
  };
  for (size_t block = 0; block < len; block += kPartialSums) {
    // A u32 lane gains at most 16 per block: flushed long before it could wrap (huge chunks only).
    if ((block / kPartialSums & 0xFFFFFFu) == 0xFFFFFFu) flush_counts();
    for (size_t a = 0; a < kVectors && block + a * N < len; ++a) {
      const size_t offset = block + a * N;
      const size_t valid = len - offset < N ? len - offset : N;
      const auto c = values.Load(d, start + offset, valid);
      auto is_finite = hn::IsFinite(c);
      const auto term = kKind == KN_SCALE_RMS ? hn::Mul(c, c) : hn::Abs(c);
      sums[a] = hn::Add(sums[a], hn::IfThenElseZero(is_finite, term));
      // Padding lanes of the chunk's last vector are +0, finite: not elements, so not counted.
      if (valid < N) is_finite = hn::And(is_finite, hn::FirstN(d, valid));
      finite_lanes = hn::Sub(finite_lanes, hn::VecFromMask(du, hn::RebindMask(du, is_finite)));
    }
  }
  flush_counts();
  HWY_ALIGN float partial[kPartialSums];
  for (size_t a = 0; a < kVectors; ++a) hn::Store(sums[a], d, partial + a * N);
  for (size_t width = kPartialSums / 2; width >= 1; width /= 2) {
    for (size_t j = 0; j < width; ++j) partial[j] += partial[j + width];
  }
  if (finite == 0) return 0.0f;
  const float mean = partial[0] / static_cast<float>(finite);
  return kKind == KN_SCALE_RMS ? std::sqrt(mean) : mean;
}

// x < 0, or a NaN with the sign bit: bit patterns above -0's 0x80000000.
HWY_INLINE hn::Mask<D> SignBitsSet(hn::Vec<D> c) {
  const DU du;
  return hn::RebindMask(D(), hn::Gt(hn::BitCast(du, c), hn::Set(du, 0x80000000u)));
}

// ORs the `valid` mask bits of elements [i, i + valid) into the (pre-zeroed) sign words. Chunks
// start anywhere, so a vector may straddle two words.
HWY_INLINE void OrSignBits(hn::Mask<D> negative, size_t i, size_t valid, uint32_t* signs) {
  uint8_t bytes[8] = {};
  hn::StoreMaskBits(D(), negative, bytes);
  uint64_t bits;
  std::memcpy(&bits, bytes, sizeof(bits));
  bits &= (uint64_t{1} << valid) - 1;
  const uint64_t shifted = bits << (i % 32);
  signs[i / 32] |= static_cast<uint32_t>(shifted);
  if (shifted >> 32) signs[i / 32 + 1] |= static_cast<uint32_t>(shifted >> 32);
}

// The sign bits of elements [i, i + lanes) as a mask; words past the end read as 0.
HWY_INLINE hn::Mask<D> LoadSignBits(const uint32_t* signs, size_t words, size_t i) {
  uint64_t window = signs[i / 32];
  if (i / 32 + 1 < words) window |= static_cast<uint64_t>(signs[i / 32 + 1]) << 32;
  const uint64_t bits = window >> (i % 32);
  uint8_t bytes[8];
  std::memcpy(bytes, &bits, sizeof(bytes));
  return hn::LoadMaskBits(D(), bytes);
}

// Pass 2: sign bits, and for error feedback e_new = -(decompress - c). It re-reads the chunk from
// cache, so it also prefetches the next chunk (up to kPrefetchAhead elements ahead, one line per 16
// elements): without that, memory sits idle during pass 2 and pass 1 waits for every line. Measured
// (compress_ef, AVX3, 1 thread, 16M floats, chunk 2048): see compress_params.h.
constexpr size_t kPrefetchAhead = 4096;

template <bool kResidual, class Values>
void ChunkSigns(const Values& values, size_t start, size_t len, size_t n, float scale,
                uint32_t* signs, float* e_new) {
  const D d;
  const size_t N = hn::Lanes(d);
  const auto positive = hn::Set(d, scale);
  const auto negative = hn::Set(d, -scale);
  const size_t ahead = len < kPrefetchAhead ? len : kPrefetchAhead;
  for (size_t offset = 0; offset < len; offset += N) {
    const size_t valid = len - offset < N ? len - offset : N;
    const size_t i = start + offset;
    if (offset % kPartialSums == 0 && i + ahead < n) values.Prefetch(i + ahead);
    const auto c = values.Load(d, i, valid);
    const auto is_negative = SignBitsSet(c);
    OrSignBits(is_negative, i, valid, signs);
    if (kResidual) {
      const auto decompressed = hn::IfThenElse(is_negative, negative, positive);
      StoreClipped<F32Storage>(d, hn::Neg(hn::Sub(decompressed, c)), e_new + i, valid);
    }
  }
}

template <kn_scale_kind kKind, bool kResidual, class Values>
void CompressChunks(const OneBitParams& p, const Values& values) {
  std::memset(p.signs, 0, (p.n + 31) / 32 * sizeof(uint32_t));
  for (size_t start = 0, chunk = 0; start < p.n; start += p.chunk, ++chunk) {
    const size_t len = p.n - start < p.chunk ? p.n - start : p.chunk;
    const float scale = ChunkScale<kKind>(values, start, len);
    p.scales[chunk] = scale;
    ChunkSigns<kResidual>(values, start, len, p.n, scale, p.signs, p.e_new);
  }
}

// Arguments are validated by the entry points; kind and dtype are known values here.
template <class S>
void OneBitCompressAs(const OneBitParams& p) {
  const PlainValues<S> values{static_cast<const typename S::T*>(p.x)};
  if (p.kind == KN_SCALE_RMS) return CompressChunks<KN_SCALE_RMS, false>(p, values);
  CompressChunks<KN_SCALE_MEAN_ABS, false>(p, values);
}

template <class S>
void OneBitCompressEfAs(const OneBitParams& p) {
  const CompensatedValues<S> values{static_cast<const typename S::T*>(p.x), p.e};
  if (p.kind == KN_SCALE_RMS) return CompressChunks<KN_SCALE_RMS, true>(p, values);
  CompressChunks<KN_SCALE_MEAN_ABS, true>(p, values);
}

// Decompresses elements [i, end) of one chunk with regular (clipped) stores.
template <class S>
HWY_INLINE void DecompressRange(const OneBitDecompressParams& p, size_t words, size_t i, size_t end,
                                hn::Vec<D> positive, hn::Vec<D> negative) {
  const D d;
  const size_t N = hn::Lanes(d);
  for (; i < end; i += N) {
    const size_t valid = end - i < N ? end - i : N;
    const auto v = hn::IfThenElse(LoadSignBits(p.signs, words, i), negative, positive);
    StoreClipped<S>(d, v, static_cast<typename S::T*>(p.dst) + i, valid);
  }
}

// f32 output of at least kOneBitStreamMinBytes: in each chunk, regular stores up to the first
// vector-aligned element and for the tail, non-temporal stores for the aligned whole vectors between.
// The stored values are the same vectors, so results are bit-identical to the regular path.
HWY_INLINE void DecompressStreamingF32(const OneBitDecompressParams& p, size_t words) {
  const D d;
  const size_t N = hn::Lanes(d);
  float* dst = static_cast<float*>(p.dst);
  const size_t align = N * sizeof(float);
  for (size_t start = 0, chunk = 0; start < p.n; start += p.chunk, ++chunk) {
    const size_t end = p.n - start < p.chunk ? p.n : start + p.chunk;
    const auto positive = hn::Set(d, p.scales[chunk]);
    const auto negative = hn::Set(d, -p.scales[chunk]);
    const uintptr_t addr = reinterpret_cast<uintptr_t>(dst + start);
    const size_t head = ((align - addr % align) % align) / sizeof(float);
    size_t i = start + (head < end - start ? head : end - start);
    DecompressRange<F32Storage>(p, words, start, i, positive, negative);
    for (; i + N <= end; i += N) {
      hn::Stream(hn::IfThenElse(LoadSignBits(p.signs, words, i), negative, positive), d, dst + i);
    }
    DecompressRange<F32Storage>(p, words, i, end, positive, negative);
  }
  hwy::FlushStream();
}

template <class S>
void OneBitDecompressAs(const OneBitDecompressParams& p) {
  const size_t words = (p.n + 31) / 32;
  if (std::is_same<S, F32Storage>::value && p.n * sizeof(float) >= kOneBitStreamMinBytes &&
      reinterpret_cast<uintptr_t>(p.dst) % sizeof(float) == 0) {
    return DecompressStreamingF32(p, words);
  }
  for (size_t start = 0, chunk = 0; start < p.n; start += p.chunk, ++chunk) {
    const size_t end = p.n - start < p.chunk ? p.n : start + p.chunk;
    DecompressRange<S>(p, words, start, end, hn::Set(D(), p.scales[chunk]), hn::Set(D(), -p.scales[chunk]));
  }
}

void OneBitCompress(const OneBitParams& p) {
  if (p.dtype == KN_F16) return OneBitCompressAs<F16Storage>(p);
  if (p.dtype == KN_BF16) return OneBitCompressAs<BF16Storage>(p);
  OneBitCompressAs<F32Storage>(p);
}

void OneBitCompressEf(const OneBitParams& p) {
  if (p.dtype == KN_F16) return OneBitCompressEfAs<F16Storage>(p);
  if (p.dtype == KN_BF16) return OneBitCompressEfAs<BF16Storage>(p);
  OneBitCompressEfAs<F32Storage>(p);
}

void OneBitDecompress(const OneBitDecompressParams& p) {
  if (p.dtype == KN_F16) return OneBitDecompressAs<F16Storage>(p);
  if (p.dtype == KN_BF16) return OneBitDecompressAs<BF16Storage>(p);
  OneBitDecompressAs<F32Storage>(p);
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(OneBitCompress);
HWY_EXPORT(OneBitCompressEf);
HWY_EXPORT(OneBitDecompress);

namespace {
kn_status CheckOneBit(const char* fn, size_t n, size_t chunk, kn_dtype dtype) {
  KN_CHECK_ARG(chunk >= 1, "%s: chunk is 0", fn);
  return CheckCount(fn, "n", n, dtype);
}

kn_status CheckKind(const char* fn, kn_scale_kind kind) {
  KN_CHECK_ARG(kind == KN_SCALE_MEAN_ABS || kind == KN_SCALE_RMS,
               "%s: kind = %d is not a kn_scale_kind (MEAN_ABS = 0, RMS = 1)", fn,
               static_cast<int>(kind));
  return KN_OK;
}

size_t Chunks(size_t n, size_t chunk) { return n / chunk + (n % chunk != 0); }
}  // namespace
}  // namespace kn

extern "C" {

KN_API kn_status kn_onebit_compress_typed(kn_dtype dtype, const void* x, size_t n, size_t chunk,
                                          kn_scale_kind kind, uint32_t* signs, float* scales) {
  static constexpr const char* kFn = "kn_onebit_compress";
  KN_CHECK_OK(kn::CheckDtype(kFn, "dtype", dtype));
  KN_CHECK_OK(kn::CheckOneBit(kFn, n, chunk, dtype));
  KN_CHECK_OK(kn::CheckKind(kFn, kind));
  if (n == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "x", x, n));
  KN_CHECK_OK(kn::CheckPointer(kFn, "signs", signs, (n + 31) / 32));
  KN_CHECK_OK(kn::CheckPointer(kFn, "scales", scales, kn::Chunks(n, chunk)));
  HWY_DYNAMIC_DISPATCH(kn::OneBitCompress)
  (kn::OneBitParams{x, nullptr, nullptr, n, chunk, kind, dtype, signs, scales});
  return KN_OK;
}

KN_API kn_status kn_onebit_compress(const float* x, size_t n, size_t chunk, kn_scale_kind kind,
                                    uint32_t* signs, float* scales) {
  return kn_onebit_compress_typed(KN_F32, x, n, chunk, kind, signs, scales);
}

KN_API kn_status kn_onebit_decompress_typed(const uint32_t* signs, const float* scales, size_t n,
                                            size_t chunk, kn_dtype dtype, void* dst) {
  static constexpr const char* kFn = "kn_onebit_decompress";
  KN_CHECK_OK(kn::CheckDtype(kFn, "dtype", dtype));
  KN_CHECK_OK(kn::CheckOneBit(kFn, n, chunk, dtype));
  if (n == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "signs", signs, (n + 31) / 32));
  KN_CHECK_OK(kn::CheckPointer(kFn, "scales", scales, kn::Chunks(n, chunk)));
  KN_CHECK_OK(kn::CheckPointer(kFn, "dst", dst, n));
  HWY_DYNAMIC_DISPATCH(kn::OneBitDecompress)
  (kn::OneBitDecompressParams{signs, scales, n, chunk, dtype, dst});
  return KN_OK;
}

KN_API kn_status kn_onebit_decompress(const uint32_t* signs, const float* scales, size_t n,
                                      size_t chunk, float* dst) {
  return kn_onebit_decompress_typed(signs, scales, n, chunk, KN_F32, dst);
}

KN_API kn_status kn_onebit_compress_ef_typed(kn_dtype dtype, const void* g, const float* e, size_t n,
                                             size_t chunk, kn_scale_kind kind, uint32_t* signs,
                                             float* scales, float* e_new) {
  static constexpr const char* kFn = "kn_onebit_compress_ef";
  KN_CHECK_OK(kn::CheckDtype(kFn, "dtype", dtype));
  KN_CHECK_OK(kn::CheckOneBit(kFn, n, chunk, KN_F32));  // e and e_new are f32 whatever g is
  KN_CHECK_OK(kn::CheckKind(kFn, kind));
  if (n == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "g", g, n));
  KN_CHECK_OK(kn::CheckPointer(kFn, "e", e, n));
  KN_CHECK_OK(kn::CheckPointer(kFn, "signs", signs, (n + 31) / 32));
  KN_CHECK_OK(kn::CheckPointer(kFn, "scales", scales, kn::Chunks(n, chunk)));
  KN_CHECK_OK(kn::CheckPointer(kFn, "e_new", e_new, n));
  HWY_DYNAMIC_DISPATCH(kn::OneBitCompressEf)
  (kn::OneBitParams{g, e, e_new, n, chunk, kind, dtype, signs, scales});
  return KN_OK;
}

KN_API kn_status kn_onebit_compress_ef(const float* g, const float* e, size_t n, size_t chunk,
                                       kn_scale_kind kind, uint32_t* signs, float* scales,
                                       float* e_new) {
  return kn_onebit_compress_ef_typed(KN_F32, g, e, n, chunk, kind, signs, scales, e_new);
}

}  // extern "C"
#endif  // HWY_ONCE
