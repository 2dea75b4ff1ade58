// Device intrinsics for host compilation: bit casts, the math functions the kernels use, atomics
// and fences. Fibers never preempt each other, so a plain read-modify-write is atomic with respect
// to every other emulated thread of the launch.
#ifndef CUDA_EMU_INTRINSICS_H_
#define CUDA_EMU_INTRINSICS_H_

#include <cmath>
#include <cstring>

#include "emu_scheduler.h"

inline unsigned int __float_as_uint(float x) { unsigned int u; std::memcpy(&u, &x, 4); return u; }
inline float __uint_as_float(unsigned int u) { float x; std::memcpy(&x, &u, 4); return x; }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }

// CUDA's rsqrtf is an approximation on the GPU; the kernels use 1.0f / sqrtf (IEEE on both sides)
// wherever bits matter, so the emulator gives the correctly rounded value here.
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float x) { return std::sqrt(x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }

inline void __threadfence() {}
inline void __threadfence_block() {}
[[noreturn]] inline void __trap() { cuda_emu::Trap(); }

namespace cuda_emu {
// The operand type follows the pointer, as CUDA's overload set does (atomicAdd(&i, 1u) on an int).
template <class T> struct Same { using type = T; };
}  // namespace cuda_emu

template <class T> T atomicAdd(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = old + v; return old; }
template <class T> T atomicSub(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = old - v; return old; }
template <class T> T atomicExch(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = v; return old; }
template <class T> T atomicMin(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = v < old ? v : old; return old; }
template <class T> T atomicMax(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = v > old ? v : old; return old; }
template <class T> T atomicAnd(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = old & v; return old; }
template <class T> T atomicOr(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = old | v; return old; }
template <class T> T atomicXor(T* p, typename cuda_emu::Same<T>::type v) { T old = *p; *p = old ^ v; return old; }
template <class T>
T atomicCAS(T* p, typename cuda_emu::Same<T>::type compare, typename cuda_emu::Same<T>::type v) {
  T old = *p;
  if (old == compare) *p = v;
  return old;
}

#endif  // CUDA_EMU_INTRINSICS_H_
