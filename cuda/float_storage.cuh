// Storage types of the CUDA kernels and their conversions to and from fp32, bit-identical to the
// CPU kernels (cpp/src/simd/float_storage-inl.h): round to nearest even, overflow to +-Inf,
// subnormals exact, NaN stays NaN with its sign and top payload bits and the quiet bit set.
// Conversions are integer code rather than cvt instructions so NaN payloads match the CPU's.
// Also: fp32 add and multiply with the CPU's (x86 SSE) NaN results, for kernels that must
// produce the CPU's exact bits; GPU arithmetic returns the canonical NaN 0x7FFFFFFF instead.
#pragma once

namespace kn {

__device__ __forceinline__ bool IsNaN(float v) { return (__float_as_uint(v) & 0x7FFFFFFFu) > 0x7F800000u; }
__device__ __forceinline__ float Quiet(float v) { return __uint_as_float(__float_as_uint(v) | 0x00400000u); }

// x86 gives the first NaN operand, quieted; an invalid operation (Inf - Inf, Inf * 0) gives the
// "default NaN" 0xFFC00000.
__device__ __forceinline__ float CpuNaN(float a, float b, float result) {
  if (IsNaN(a)) return Quiet(a);
  if (IsNaN(b)) return Quiet(b);
  return IsNaN(result) ? __uint_as_float(0xFFC00000u) : result;
}
__device__ __forceinline__ float AddLikeCpu(float a, float b) { return CpuNaN(a, b, a + b); }
__device__ __forceinline__ float MulLikeCpu(float a, float b) { return CpuNaN(a, b, a * b); }

struct F32Storage {
  using Bits = unsigned int;
  static __device__ __forceinline__ float ToFloat(unsigned int bits) { return __uint_as_float(bits); }
  static __device__ __forceinline__ unsigned int FromFloat(float v) { return __float_as_uint(v); }
};

struct F16Storage {
  using Bits = unsigned short;
  // Exact. Subnormal halves are renormalised with one exact float subtraction.
  static __device__ __forceinline__ float ToFloat(unsigned int h) {
    const unsigned int sign = (h & 0x8000u) << 16;
    unsigned int o = (h & 0x7FFFu) << 13;
    const unsigned int exp = o & 0x0F800000u;
    o += (127u - 15u) << 23;
    if (exp == 0x0F800000u) {
      o += (128u - 16u) << 23;  // Inf/NaN: exponent all ones
      if ((h & 0x3FFu) != 0) o |= 0x00400000u;
    } else if (exp == 0) {
      o = __float_as_uint(__uint_as_float(o + (1u << 23)) - 6.103515625e-05f);  // 2^-14
    }
    return __uint_as_float(o | sign);
  }
  // Results below 2^-14 are rounded by one float add of 0.5, which aligns the f16 subnormal ulp
  // with the f32 ulp of [0.5, 1); normal results add just under half an ulp plus the odd bit.
  static __device__ __forceinline__ unsigned short FromFloat(float v) {
    const unsigned int bits = __float_as_uint(v);
    const unsigned int abs = bits & 0x7FFFFFFFu;
    const unsigned int sign16 = (bits ^ abs) >> 16;
    unsigned int h;
    if (abs > 0x7F800000u) {
      h = 0x7E00u | ((abs >> 13) & 0x3FFu);
    } else if (abs > 0x477FFFFFu) {
      h = 0x7C00u;
    } else if (abs < 0x38800000u) {
      h = __float_as_uint(__uint_as_float(abs) + 0.5f) - 0x3F000000u;
    } else {
      const unsigned int rebased = abs - ((127u - 15u) << 23);
      h = (rebased + 0xFFFu + ((rebased >> 13) & 1u)) >> 13;
    }
    return static_cast<unsigned short>(h | sign16);
  }
};

struct BF16Storage {
  using Bits = unsigned short;
  static __device__ __forceinline__ float ToFloat(unsigned int b) { return __uint_as_float(b << 16); }
  // Overflow rounds to Inf by carrying into the exponent; NaN keeps sign and top payload, quieted.
  static __device__ __forceinline__ unsigned short FromFloat(float v) {
    const unsigned int bits = __float_as_uint(v);
    if (IsNaN(v)) return static_cast<unsigned short>((bits | 0x00400000u) >> 16);
    return static_cast<unsigned short>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
  }
};

// Eight consecutive elements as fp32, moved with 128-bit accesses (two for f32, one for 16-bit
// types); the pointer must be 16-byte aligned.
template <class S>
struct Pack8 {
  using Bits = typename S::Bits;
  float v[8];

  __device__ __forceinline__ void Load(const Bits* p) {
    const uint4* q = reinterpret_cast<const uint4*>(p);
    if constexpr (sizeof(Bits) == 4) {
      const uint4 lo = q[0], hi = q[1];
      v[0] = S::ToFloat(lo.x); v[1] = S::ToFloat(lo.y); v[2] = S::ToFloat(lo.z); v[3] = S::ToFloat(lo.w);
      v[4] = S::ToFloat(hi.x); v[5] = S::ToFloat(hi.y); v[6] = S::ToFloat(hi.z); v[7] = S::ToFloat(hi.w);
    } else {
      const uint4 r = q[0];
      const unsigned int w[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        v[2 * j] = S::ToFloat(w[j] & 0xFFFFu);
        v[2 * j + 1] = S::ToFloat(w[j] >> 16);
      }
    }
  }

  __device__ __forceinline__ void Store(Bits* p) const {
    uint4* q = reinterpret_cast<uint4*>(p);
    if constexpr (sizeof(Bits) == 4) {
      q[0] = make_uint4(S::FromFloat(v[0]), S::FromFloat(v[1]), S::FromFloat(v[2]), S::FromFloat(v[3]));
      q[1] = make_uint4(S::FromFloat(v[4]), S::FromFloat(v[5]), S::FromFloat(v[6]), S::FromFloat(v[7]));
    } else {
      unsigned int w[4];
#pragma unroll
      for (int j = 0; j < 4; ++j)
        w[j] = static_cast<unsigned int>(S::FromFloat(v[2 * j])) | static_cast<unsigned int>(S::FromFloat(v[2 * j + 1])) << 16;
      q[0] = make_uint4(w[0], w[1], w[2], w[3]);
    }
  }

  // Rounds every value to the storage type, so v holds what a later Load would read back.
  __device__ __forceinline__ void Round() {
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = S::ToFloat(S::FromFloat(v[j]));
  }
};

__device__ __forceinline__ bool Aligned16(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & 15u) == 0;
}

}  // namespace kn
