// Loads and stores of f32 / f16 / bf16 storage as f32 vectors, for every Highway target.
//
// Conversions are bit-identical on every target and match .NET's (Half)float and (float)Half
// (verified against F16C): round to nearest even, overflow to +-Inf, subnormals exact, NaN stays NaN
// with its sign and top payload bits and the quiet bit set. Highway 1.0.3's own f16 conversions
// are only correct with F16C (below AVX2 they truncate and turn Inf/NaN into finite values) and its
// bf16 DemoteTo truncates, so everything except the F16C instructions is written here.
//
// Included once per target by foreach_target.h, hence the toggle guard instead of #pragma once.
#if defined(KN_SIMD_FLOAT_STORAGE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_SIMD_FLOAT_STORAGE_INL_H_
#undef KN_SIMD_FLOAT_STORAGE_INL_H_
#else
#define KN_SIMD_FLOAT_STORAGE_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Highway's AVX2 and AVX3 targets require F16C; its vcvtph2ps/vcvtps2ph round to nearest even.
#undef KN_HAVE_F16C
#if HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
#define KN_HAVE_F16C 1
#else
#define KN_HAVE_F16C 0
#endif

// ---- 16-bit patterns <-> f32, on u32 lanes holding the pattern in their low half ----------------

// f16 -> f32, exact. Shifts exponent and mantissa into place and rebiases; subnormal halves are
// renormalised with one exact float subtraction (operands and result are normal floats, so
// DAZ/FTZ cannot change it). Signalling NaNs are quieted, as vcvtph2ps does.
template <class DF, class VU = hn::Vec<hn::RebindToUnsigned<DF>>>
HWY_INLINE hn::Vec<DF> F32FromF16Bits(DF df, VU h) {
  const hn::RebindToUnsigned<DF> du;
  const VU sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000u)));
  VU o = hn::ShiftLeft<13>(hn::And(h, hn::Set(du, 0x7FFFu)));
  const VU exp = hn::And(o, hn::Set(du, 0x0F800000u));
  o = hn::Add(o, hn::Set(du, (127u - 15u) << 23));
  const auto inf_nan = hn::Eq(exp, hn::Set(du, 0x0F800000u));
  // Inf/NaN: exponent all ones, and the quiet bit for NaN (a no-op for Inf, whose mantissa is 0).
  const VU special = hn::Or(hn::Add(o, hn::Set(du, (128u - 16u) << 23)),
                            hn::IfThenElseZero(hn::Ne(hn::And(h, hn::Set(du, 0x3FFu)), hn::Zero(du)),
                                               hn::Set(du, 0x00400000u)));
  o = hn::IfThenElse(inf_nan, special, o);
  const VU sub = hn::BitCast(du, hn::Sub(hn::BitCast(df, hn::Add(o, hn::Set(du, 1u << 23))),
                                         hn::Set(df, 6.103515625e-05f)));  // 2^-14
  o = hn::IfThenElse(hn::Eq(exp, hn::Zero(du)), sub, o);
  return hn::BitCast(df, hn::Or(o, sign));
}

// f32 -> f16 pattern, round to nearest even. Results below 2^-14 (f16 subnormals) are rounded by
// one float add of 0.5, which aligns the f16 subnormal ulp (2^-24) with the f32 ulp of [0.5, 1);
// the add rounds to nearest even in the default MXCSR mode (as all fp32 arithmetic here assumes),
// never yields a subnormal, and a DAZ-flushed subnormal input still gives the right 0.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> F16BitsFromF32(DF df, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  using VU = hn::Vec<decltype(du)>;
  const VU bits = hn::BitCast(du, v);
  const VU abs = hn::And(bits, hn::Set(du, 0x7FFFFFFFu));
  const VU sign16 = hn::ShiftRight<16>(hn::Xor(bits, abs));
  const auto abs_i = hn::BitCast(di, abs);  // < 2^31, so signed compares are exact (and cheap)

  const VU sub = hn::Sub(hn::BitCast(du, hn::Add(hn::BitCast(df, abs), hn::Set(df, 0.5f))),
                         hn::Set(du, 0x3F000000u));
  const VU rebased = hn::Sub(abs, hn::Set(du, (127u - 15u) << 23));
  const VU odd = hn::And(hn::ShiftRight<13>(rebased), hn::Set(du, 1u));
  // Ties to even: add just under half an ulp, plus one when the kept mantissa is odd.
  const VU normal = hn::ShiftRight<13>(hn::Add(hn::Add(rebased, hn::Set(du, 0xFFFu)), odd));
  const VU nan = hn::Or(hn::Set(du, 0x7E00u), hn::And(hn::ShiftRight<13>(abs), hn::Set(du, 0x3FFu)));

  VU h = hn::IfThenElse(hn::RebindMask(du, hn::Lt(abs_i, hn::Set(di, 0x38800000))), sub, normal);
  // >= 65536 and Inf overflow the 5-bit exponent of the normal path; 65520..65535 round to Inf there.
  h = hn::IfThenElse(hn::RebindMask(du, hn::Gt(abs_i, hn::Set(di, 0x477FFFFF))),
                     hn::Set(du, 0x7C00u), h);
  h = hn::IfThenElse(hn::RebindMask(du, hn::Gt(abs_i, hn::Set(di, 0x7F800000))), nan, h);
  return hn::Or(h, sign16);
}

// f32 -> bf16 round to nearest even, leaving the bf16 pattern in the upper half of each u32 lane
// (the lower half is garbage). Overflow rounds to Inf by carrying into the exponent. NaN keeps
// sign and top payload with the quiet bit set, so it cannot truncate to Inf.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> BF16UpperFromF32(DF /* df */, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  using VU = hn::Vec<decltype(du)>;
  const VU bits = hn::BitCast(du, v);
  const VU bias = hn::Add(hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u)), hn::Set(du, 0x7FFFu));
  const VU nan = hn::Or(bits, hn::Set(du, 0x00400000u));
  return hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), nan, hn::Add(bits, bias));
}

// f32 -> bf16 pattern in the low half of each u32 lane.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> BF16BitsFromF32(DF df, hn::Vec<DF> v) {
  return hn::ShiftRight<16>(BF16UpperFromF32(df, v));
}

// ---- storage policies ------------------------------------------------------------------------------
// Load/Store move one f32 vector's worth (N) of elements; StoreRounded also returns the values as
// they read back, without touching memory (add_rms_norm normalises the rounded residual it writes).
// Load2/Store2/StoreRounded2 move 2N elements as two f32 vectors in a storage-specific lane order
// (Store2 inverts Load2), for kernels whose operands all share one dtype: element-wise results are
// unaffected, and the layout that is cheapest to widen can be used (see BF16Storage).

// Two consecutive vectors: the natural order, and the fastest for f32 and for F16C.
template <class S>
struct ContiguousPairs {
  // T is deduced (it is S::T) because S is still incomplete where this base is instantiated.
  template <class DF, typename T, class V = hn::Vec<DF>>
  static HWY_INLINE void Load2(DF df, const T* p, V& lo, V& hi) {
    lo = S::Load(df, p);
    hi = S::Load(df, p + hn::Lanes(df));
  }
  template <class DF, typename T, class V = hn::Vec<DF>>
  static HWY_INLINE void Store2(DF df, V lo, V hi, T* p) {
    S::Store(df, lo, p);
    S::Store(df, hi, p + hn::Lanes(df));
  }
  template <class DF, typename T, class V = hn::Vec<DF>>
  static HWY_INLINE void StoreRounded2(DF df, V& lo, V& hi, T* p) {
    lo = S::StoreRounded(df, lo, p);
    hi = S::StoreRounded(df, hi, p + hn::Lanes(df));
  }
};

struct F32Storage : ContiguousPairs<F32Storage> {
  using T = float;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const T* p) {
    return hn::LoadU(df, p);
  }
  template <class DF>
  static HWY_INLINE void Store(DF df, hn::Vec<DF> v, T* p) {
    hn::StoreU(v, df, p);
  }
  template <class DF>
  static HWY_INLINE hn::Vec<DF> StoreRounded(DF df, hn::Vec<DF> v, T* p) {
    hn::StoreU(v, df, p);
    return v;
  }
};

struct F16Storage : ContiguousPairs<F16Storage> {
  using T = uint16_t;  // the IEEE binary16 pattern
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const T* p) {
#if KN_HAVE_F16C
    const hn::Rebind<hwy::float16_t, DF> df16;
    return hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const hwy::float16_t*>(p)));
#else
    const hn::Rebind<uint16_t, DF> du16;
    return F32FromF16Bits(df, hn::PromoteTo(hn::RebindToUnsigned<DF>(), hn::LoadU(du16, p)));
#endif
  }
  template <class DF>
  static HWY_INLINE void Store(DF df, hn::Vec<DF> v, T* p) {
#if KN_HAVE_F16C
    const hn::Rebind<hwy::float16_t, DF> df16;
    hn::StoreU(hn::DemoteTo(df16, v), df16, reinterpret_cast<hwy::float16_t*>(p));
#else
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToSigned<DF> di;
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, F16BitsFromF32(df, v))), du16, p);
#endif
  }
  template <class DF>
  static HWY_INLINE hn::Vec<DF> StoreRounded(DF df, hn::Vec<DF> v, T* p) {
#if KN_HAVE_F16C
    const hn::Rebind<hwy::float16_t, DF> df16;
    const auto h = hn::DemoteTo(df16, v);
    hn::StoreU(h, df16, reinterpret_cast<hwy::float16_t*>(p));
    return hn::PromoteTo(df, h);
#else
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToSigned<DF> di;
    const auto h = F16BitsFromF32(df, v);
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, h)), du16, p);
    return F32FromF16Bits(df, h);
#endif
  }
};

struct BF16Storage {
  using T = uint16_t;  // the upper half of an f32
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const T* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du;
    return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du, hn::LoadU(du16, p))));
  }
  template <class DF>
  static HWY_INLINE void Store(DF df, hn::Vec<DF> v, T* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToSigned<DF> di;
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, BF16BitsFromF32(df, v))), du16, p);
  }
  template <class DF>
  static HWY_INLINE hn::Vec<DF> StoreRounded(DF df, hn::Vec<DF> v, T* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToSigned<DF> di;
    const auto h = BF16BitsFromF32(df, v);
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, h)), du16, p);
    return hn::BitCast(df, hn::ShiftLeft<16>(h));
  }

#if HWY_TARGET == HWY_SCALAR
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Load2(DF df, const T* p, V& lo, V& hi) {
    ContiguousPairs<BF16Storage>::Load2(df, p, lo, hi);
  }
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Store2(DF df, V lo, V hi, T* p) {
    ContiguousPairs<BF16Storage>::Store2(df, lo, hi, p);
  }
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void StoreRounded2(DF df, V& lo, V& hi, T* p) {
    ContiguousPairs<BF16Storage>::StoreRounded2(df, lo, hi, p);
  }
#else
  // Even elements in lo, odd elements in hi: a bf16 is the upper half of an f32, so widening is one
  // shift or mask per vector and narrowing one shift, mask and or per pair, with no pack or
  // lane-crossing permute. Measured in cache against DemoteTo/PromoteTo pairs: +30-40% on AVX2 and
  // AVX3 (AVX2 bf16 add_rms_norm was compute-bound below the 2-thread memory rate without it).
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Load2(DF df, const T* p, V& lo, V& hi) {
    const hn::Repartition<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du;
    const auto v = hn::BitCast(du, hn::LoadU(du16, p));
    lo = hn::BitCast(df, hn::ShiftLeft<16>(v));
    hi = hn::BitCast(df, hn::And(v, hn::Set(du, 0xFFFF0000u)));
  }
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Store2(DF df, V lo, V hi, T* p) {
    const hn::Repartition<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du;
    const auto bits = hn::Or(hn::ShiftRight<16>(BF16UpperFromF32(df, lo)),
                             hn::And(BF16UpperFromF32(df, hi), hn::Set(du, 0xFFFF0000u)));
    hn::StoreU(hn::BitCast(du16, bits), du16, p);
  }
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void StoreRounded2(DF df, V& lo, V& hi, T* p) {
    const hn::Repartition<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du;
    const auto mask = hn::Set(du, 0xFFFF0000u);
    const auto ulo = hn::And(BF16UpperFromF32(df, lo), mask);
    const auto uhi = hn::And(BF16UpperFromF32(df, hi), mask);
    hn::StoreU(hn::BitCast(du16, hn::Or(hn::ShiftRight<16>(ulo), uhi)), du16, p);
    lo = hn::BitCast(df, ulo);
    hi = hn::BitCast(df, uhi);
  }
#endif
};

// ---- non-temporal stores ----------------------------------------------------------------------
// StreamStores<S> is S with Store2 (the bulk of a kernel's output) written by non-temporal stores,
// which skip the write-allocate read of the destination line. The caller guarantees that every
// Store2 address is aligned to StreamAlign(df) bytes and calls hwy::FlushStream() once done.
// Single-vector Store (remainders) and tails keep regular stores. Only f32 and bf16 have it
// (f16 stays S: the tuned kernels are f32/bf16, see the callers); results are bit-identical.
template <class DF>
HWY_INLINE size_t StreamAlign(DF df) {
  return hn::Lanes(df) * sizeof(float);
}

template <class S>
struct StreamStores : S {};

template <>
struct StreamStores<F32Storage> : F32Storage {
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Store2(DF df, V lo, V hi, T* p) {
    hn::Stream(lo, df, p);
    hn::Stream(hi, df, p + hn::Lanes(df));
  }
};

template <>
struct StreamStores<BF16Storage> : BF16Storage {
#if HWY_TARGET == HWY_SCALAR
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Store2(DF df, V lo, V hi, T* p) {
    BF16Storage::Store2(df, lo, hi, p);
  }
#else
  template <class DF, class V = hn::Vec<DF>>
  static HWY_INLINE void Store2(DF df, V lo, V hi, T* p) {
    const hn::Repartition<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du;
    const auto bits = hn::Or(hn::ShiftRight<16>(BF16UpperFromF32(df, lo)),
                             hn::And(BF16UpperFromF32(df, hi), hn::Set(du, 0xFFFF0000u)));
    hn::Stream(hn::BitCast(du16, bits), du16, p);
  }
#endif
};

// ---- partial vectors ------------------------------------------------------------------------------
// The last n < Lanes(df) elements go through a zero-padded stack copy, so tails run the very same
// vector code as full vectors (identical results) without reading or writing past the range.

template <class S>
class TailBuffer {
 public:
  using T = typename S::T;
  TailBuffer(const T* src, size_t n) : n_(n) {
    std::memset(lanes_, 0, sizeof(lanes_));
    if (src != nullptr) std::memcpy(lanes_, src, n * sizeof(T));
  }
  T* data() { return lanes_; }
  void CopyTo(T* dst) const { std::memcpy(dst, lanes_, n_ * sizeof(T)); }

 private:
  HWY_ALIGN T lanes_[HWY_MAX_BYTES / sizeof(float)];  // one f32 vector's worth of elements
  size_t n_;
};

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_SIMD_FLOAT_STORAGE_INL_H_
