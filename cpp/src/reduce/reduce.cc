// kn_reduce and kn_reduce_accumulate: dst = op(a, b) * scale, element-wise, fp32 arithmetic.
#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "reduce/reduce.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "reduce/reduce_params.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// NaN results are the first NaN operand (a's, else b's) with the quiet bit set, on every op and
// target. x86 arithmetic returns the first source's NaN, but the compiler may commute Add, Max and
// Min, so NaN lanes are patched explicitly.
template <class V>
HWY_INLINE V FirstNaN(V a, V b, V r) {
  const hn::DFromV<V> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const V quiet = hn::BitCast(df, hn::Set(du, 0x00400000u));
  r = hn::IfThenElse(hn::IsNaN(b), hn::Or(b, quiet), r);
  return hn::IfThenElse(hn::IsNaN(a), hn::Or(a, quiet), r);
}

struct SumOp {
  template <class V>
  static HWY_INLINE V Apply(V a, V b) {
    return FirstNaN(a, b, hn::Add(a, b));
  }
};

// Max and Min follow IEEE 754-2019 maximum/minimum (and .NET's MathF.Max/Min): NaN in either
// operand gives NaN and +0 > -0. For equal operands the x86 instructions return the second one,
// so equal lanes take And/Or of the bit patterns (which differ only in the sign of a zero).
struct MaxOp {
  template <class V>
  static HWY_INLINE V Apply(V a, V b) {
    return FirstNaN(a, b, hn::IfThenElse(hn::Eq(a, b), hn::And(a, b), hn::Max(a, b)));
  }
};

struct MinOp {
  template <class V>
  static HWY_INLINE V Apply(V a, V b) {
    return FirstNaN(a, b, hn::IfThenElse(hn::Eq(a, b), hn::Or(a, b), hn::Min(a, b)));
  }
};

// One vector of results. kScale is a template flag so scale == 1 skips the multiply entirely and
// the result is exactly op(a, b).
template <class S, class Op, bool kScale, class DF>
HWY_INLINE void ReduceVector(DF df, const typename S::T* a, const typename S::T* b,
                             typename S::T* dst, hn::Vec<DF> vscale) {
  hn::Vec<DF> r = Op::Apply(S::Load(df, a), S::Load(df, b));
  if (kScale) r = hn::Mul(r, vscale);
  S::Store(df, r, dst);
}

// dst may alias a or b exactly: each block loads all its inputs before it stores.
template <class S, class Op, bool kScale>
HWY_NOINLINE void ReduceRange(const typename S::T* a, const typename S::T* b, typename S::T* dst,
                              size_t count, float scale) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto vscale = hn::Set(df, scale);
  size_t i = 0;
  // 4 vectors per iteration keeps enough independent loads in flight: at 64-256 MiB on 2 threads
  // this loop runs at the STREAM triad rate (measured on AVX2 and AVX3).
  for (; i + 4 * N <= count; i += 4 * N) {
    hn::Vec<hn::ScalableTag<float>> a0, a1, a2, a3, b0, b1, b2, b3;
    S::Load2(df, a + i, a0, a1);
    S::Load2(df, a + i + 2 * N, a2, a3);
    S::Load2(df, b + i, b0, b1);
    S::Load2(df, b + i + 2 * N, b2, b3);
    auto r0 = Op::Apply(a0, b0), r1 = Op::Apply(a1, b1);
    auto r2 = Op::Apply(a2, b2), r3 = Op::Apply(a3, b3);
    if (kScale) {
      r0 = hn::Mul(r0, vscale);
      r1 = hn::Mul(r1, vscale);
      r2 = hn::Mul(r2, vscale);
      r3 = hn::Mul(r3, vscale);
    }
    S::Store2(df, r0, r1, dst + i);
    S::Store2(df, r2, r3, dst + i + 2 * N);
  }
  for (; i + N <= count; i += N) {
    ReduceVector<S, Op, kScale>(df, a + i, b + i, dst + i, vscale);
  }
  if (i < count) {
    const size_t n = count - i;
    TailBuffer<S> ta(a + i, n), tb(b + i, n), td(nullptr, n);
    ReduceVector<S, Op, kScale>(df, ta.data(), tb.data(), td.data(), vscale);
    td.CopyTo(dst + i);
  }
}

template <class S, class Op>
HWY_INLINE void ReduceScaledWith(const typename S::T* a, const typename S::T* b,
                                 typename S::T* dst, size_t count, float scale) {
  if (scale == 1.0f) {
    ReduceRange<S, Op, false>(a, b, dst, count, scale);
  } else {
    ReduceRange<S, Op, true>(a, b, dst, count, scale);
  }
}

template <class S, class Op>
HWY_INLINE void ReduceScaled(const ReduceParams& p) {
  using T = typename S::T;
  const auto* a = static_cast<const T*>(p.a);
  const auto* b = static_cast<const T*>(p.b);
  auto* dst = static_cast<T*>(p.dst);
  const size_t align = StreamAlign(hn::ScalableTag<float>());
  const uintptr_t addr = reinterpret_cast<uintptr_t>(dst);
  if (p.count * sizeof(T) >= kReduceStreamMinBytes && addr % sizeof(T) == 0) {
    // Regular stores up to the first aligned destination, then non-temporal stores.
    const size_t head = ((align - addr % align) % align) / sizeof(T);
    ReduceScaledWith<S, Op>(a, b, dst, head, p.scale);
    ReduceScaledWith<StreamStores<S>, Op>(a + head, b + head, dst + head, p.count - head, p.scale);
    hwy::FlushStream();
  } else {
    ReduceScaledWith<S, Op>(a, b, dst, p.count, p.scale);
  }
}

template <class S>
HWY_INLINE void ReduceStorage(const ReduceParams& p) {
  switch (p.op) {
    case KN_OP_SUM: return ReduceScaled<S, SumOp>(p);
    case KN_OP_MAX: return ReduceScaled<S, MaxOp>(p);
    case KN_OP_MIN: return ReduceScaled<S, MinOp>(p);
  }
}

// Arguments are validated by the entry points; dtype and op are known values here.
void Reduce(const ReduceParams& p) {
  switch (p.dtype) {
    case KN_F32: return ReduceStorage<F32Storage>(p);
    case KN_F16: return ReduceStorage<F16Storage>(p);
    case KN_BF16: return ReduceStorage<BF16Storage>(p);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(Reduce);

namespace {
kn_status CheckReduce(const char* fn, kn_dtype dtype, kn_reduce_op op, size_t count) {
  KN_CHECK_OK(CheckDtype(fn, "dtype", dtype));
  KN_CHECK_ARG(op == KN_OP_SUM || op == KN_OP_MAX || op == KN_OP_MIN,
               "%s: op = %d is not a kn_reduce_op (SUM = 0, MAX = 1, MIN = 2)", fn,
               static_cast<int>(op));
  return CheckCount(fn, "count", count, dtype);
}
}  // namespace
}  // namespace kn

extern "C" {

KN_API kn_status kn_reduce(kn_dtype dtype, kn_reduce_op op, const void* a, const void* b, void* dst,
                           size_t count, float scale) {
  static constexpr const char* kFn = "kn_reduce";
  KN_CHECK_OK(kn::CheckReduce(kFn, dtype, op, count));
  if (count == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "a", a, count));
  KN_CHECK_OK(kn::CheckPointer(kFn, "b", b, count));
  KN_CHECK_OK(kn::CheckPointer(kFn, "dst", dst, count));
  HWY_DYNAMIC_DISPATCH(kn::Reduce)(kn::ReduceParams{dtype, op, a, b, dst, count, scale});
  return KN_OK;
}

KN_API kn_status kn_reduce_accumulate(kn_dtype dtype, kn_reduce_op op, void* dst, const void* src,
                                      size_t count, float scale) {
  static constexpr const char* kFn = "kn_reduce_accumulate";
  KN_CHECK_OK(kn::CheckReduce(kFn, dtype, op, count));
  if (count == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "dst", dst, count));
  KN_CHECK_OK(kn::CheckPointer(kFn, "src", src, count));
  HWY_DYNAMIC_DISPATCH(kn::Reduce)(kn::ReduceParams{dtype, op, dst, src, dst, count, scale});
  return KN_OK;
}

}  // extern "C"
#endif  // HWY_ONCE
