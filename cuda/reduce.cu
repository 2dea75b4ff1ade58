// Element-wise reduce: dst[i] = op(a[i], b[i]) * scale, fp32 arithmetic on f32/f16/bf16 storage,
// with the CPU kernels' bits (cpp/src/reduce/reduce.cc): NaN results are the first NaN operand
// quieted, Max/Min follow IEEE 754-2019 maximum/minimum (NaN wins, +0 > -0), the multiply is
// skipped when scale == 1. Accumulate (dst = op(dst, src) * scale) is this kernel with a == dst.
#include "float_storage.cuh"

namespace kn {

// Kernel parameters, passed by value as one argument block.
struct ReduceArgs {
  const void* a;             // (count)
  const void* b;             // (count)
  void* dst;                 // (count), may alias a or b exactly
  unsigned long long count;
  float scale;               // 1 skips the multiply
};

struct SumOp {
  static __device__ __forceinline__ float Apply(float a, float b) { return AddLikeCpu(a, b); }
};

// For equal operands (which differ at most in the sign of a zero) And/Or of the bits picks +0 / -0.
struct MaxOp {
  static __device__ __forceinline__ float Apply(float a, float b) {
    const float r = a == b ? __uint_as_float(__float_as_uint(a) & __float_as_uint(b)) : (a > b ? a : b);
    return CpuNaN(a, b, r);
  }
};

struct MinOp {
  static __device__ __forceinline__ float Apply(float a, float b) {
    const float r = a == b ? __uint_as_float(__float_as_uint(a) | __float_as_uint(b)) : (a < b ? a : b);
    return CpuNaN(a, b, r);
  }
};

template <class Op>
__device__ __forceinline__ float ReduceOne(float a, float b, float scale, bool scaled) {
  const float r = Op::Apply(a, b);
  return scaled ? MulLikeCpu(r, scale) : r;
}

// Grid-stride loop over groups of 8 elements with 128-bit accesses when a, b and dst are 16-byte
// aligned, then over the remaining elements one by one. Each element is read and written by one
// thread, so dst may alias a or b exactly.
template <class S, class Op>
__global__ void __launch_bounds__(256) reduce_elements(ReduceArgs args) {
  using Bits = typename S::Bits;
  const Bits* a = static_cast<const Bits*>(args.a);
  const Bits* b = static_cast<const Bits*>(args.b);
  Bits* dst = static_cast<Bits*>(args.dst);
  const bool scaled = args.scale != 1.0f;
  const unsigned long long first = static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  const unsigned long long groups = Aligned16(a) && Aligned16(b) && Aligned16(dst) ? args.count / 8 : 0;
  for (unsigned long long g = first; g < groups; g += stride) {
    Pack8<S> pa, pb;
    pa.Load(a + g * 8);
    pb.Load(b + g * 8);
#pragma unroll
    for (int j = 0; j < 8; ++j) pa.v[j] = ReduceOne<Op>(pa.v[j], pb.v[j], args.scale, scaled);
    pa.Store(dst + g * 8);
  }
  for (unsigned long long i = groups * 8 + first; i < args.count; i += stride)
    dst[i] = S::FromFloat(ReduceOne<Op>(S::ToFloat(a[i]), S::ToFloat(b[i]), args.scale, scaled));
}

}  // namespace kn
