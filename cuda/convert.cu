// Storage conversion: dst[i] = (Dst)(src[i] * scale), round to nearest even, with the CPU kernel's
// bits (cpp/src/convert/convert.cc). The multiply is skipped when scale == 1, and a same-type
// conversion with scale 1 copies the bits unchanged (signalling NaN payloads included).
#include "float_storage.cuh"

namespace kn {

// Kernel parameters, passed by value as one argument block.
struct ConvertArgs {
  const void* src;           // (count)
  void* dst;                 // (count); may alias src exactly when both types have the same size
  unsigned long long count;
  float scale;               // 1 skips the multiply
};

template <class A, class B> struct SameStorage { static constexpr bool value = false; };
template <class A> struct SameStorage<A, A> { static constexpr bool value = true; };

// Grid-stride loop over groups of 8 elements with 128-bit accesses when src and dst are 16-byte
// aligned, then over the remaining elements one by one.
template <class Src, class Dst>
__global__ void __launch_bounds__(256) convert_elements(ConvertArgs args) {
  const auto* src = static_cast<const typename Src::Bits*>(args.src);
  auto* dst = static_cast<typename Dst::Bits*>(args.dst);
  const bool scaled = args.scale != 1.0f;
  // Through fp32 a signalling NaN would be quieted; the exact copy keeps its bits.
  const bool copy = SameStorage<Src, Dst>::value && !scaled;
  const unsigned long long first = static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  const unsigned long long groups = Aligned16(src) && Aligned16(dst) ? args.count / 8 : 0;
  for (unsigned long long g = first; g < groups; g += stride) {
    if (copy) {
      const uint4* from = reinterpret_cast<const uint4*>(src + g * 8);
      uint4* to = reinterpret_cast<uint4*>(dst + g * 8);
      to[0] = from[0];
      if (sizeof(typename Src::Bits) == 4) to[1] = from[1];
      continue;
    }
    Pack8<Src> in;
    in.Load(src + g * 8);
    Pack8<Dst> out;
#pragma unroll
    for (int j = 0; j < 8; ++j) out.v[j] = scaled ? MulLikeCpu(in.v[j], args.scale) : in.v[j];
    out.Store(dst + g * 8);
  }
  for (unsigned long long i = groups * 8 + first; i < args.count; i += stride) {
    if (copy) {
      dst[i] = static_cast<typename Dst::Bits>(src[i]);
      continue;
    }
    const float v = Src::ToFloat(src[i]);
    dst[i] = Dst::FromFloat(scaled ? MulLikeCpu(v, args.scale) : v);
  }
}

}  // namespace kn
