// 1-bit compression with the CPU kernels' bits (cpp/src/compress/onebit.cc): element i's sign in bit
// i % 32 of word i / 32, set for x < 0 and for a NaN with the sign bit; one scale per chunk, the
// mean |c| or the RMS of the chunk's finite elements; with error feedback (EF14) c = g + e and
// e_new = -(decompressed - c). Every storage is widened to fp32 exactly, as on the CPU.
// Two kernels per compress: the chunk scales, then the sign words (and e_new), because a sign
// word may straddle two chunks and every element needs its chunk's finished scale.
#include "float_storage.cuh"

namespace kn {

// Kernel parameters of onebit_chunk_scales and onebit_signs, passed by value.
struct OneBitArgs {
  const void* x;             // (n) storage S: the gradient g
  const float* e;            // (n) the residual; EF kernels only
  unsigned int* signs;       // (ceil(n / 32))
  float* scales;             // (ceil(n / chunk))
  float* e_new;              // (n) the new residual; EF kernels only, may alias e exactly
  unsigned long long n;
  unsigned long long chunk;  // >= 1
};

// Kernel parameters of onebit_decompress.
struct OneBitDecompressArgs {
  const unsigned int* signs; // (ceil(n / 32))
  const float* scales;       // (ceil(n / chunk))
  void* dst;                 // (n) storage S
  unsigned long long n;
  unsigned long long chunk;
};

// The scale kinds, numbered as kn_scale_kind.
constexpr int kScaleMeanAbs = 0;
constexpr int kScaleRms = 1;

// The CPU sums a chunk into 16 fixed partial sums (element j into sum j % 16), so 16 lanes do here.
constexpr unsigned kPartialSums = 16;

__device__ __forceinline__ bool IsFinite(float v) { return (__float_as_uint(v) & 0x7F800000u) != 0x7F800000u; }
// Negation as the CPU does it (a sign-bit flip, NaN included).
__device__ __forceinline__ float FlipSign(float v) { return __uint_as_float(__float_as_uint(v) ^ 0x80000000u); }

// c = g, or c = g + e (x86 NaN rules, so a NaN's sign, hence its sign bit, matches the CPU's).
template <class S, bool kResidual>
__device__ __forceinline__ float Compensated(const OneBitArgs& args, unsigned long long i) {
  const float g = S::ToFloat(static_cast<const typename S::Bits*>(args.x)[i]);
  return kResidual ? AddLikeCpu(g, args.e[i]) : g;
}

// Pass 1. Half a warp per chunk: lane j adds chunk elements j, j + 16, ... in order (a multiply then an
// add for RMS, never fused), then the partial sums combine as the CPU's do: s[j] += s[j + w] for
// w = 8, 4, 2, 1. blockDim.x is a multiple of 32.
template <class S, int kKind, bool kResidual>
__global__ void __launch_bounds__(256) onebit_chunk_scales(OneBitArgs args) {
  const unsigned lane = threadIdx.x % kPartialSums;
  const unsigned half_warp_mask = 0xFFFFu << (threadIdx.x & 16u);
  const unsigned long long chunks = (args.n + args.chunk - 1) / args.chunk;
  const unsigned long long groups = static_cast<unsigned long long>(gridDim.x) * blockDim.x / kPartialSums;
  for (unsigned long long c = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / kPartialSums;
       c < chunks; c += groups) {
    const unsigned long long start = c * args.chunk;
    const unsigned long long len = args.n - start < args.chunk ? args.n - start : args.chunk;
    float sum = 0.0f;
    unsigned long long finite = 0;
    for (unsigned long long j = lane; j < len; j += kPartialSums) {
      const float v = Compensated<S, kResidual>(args, start + j);
      const float term = kKind == kScaleRms ? __fmul_rn(v, v) : fabsf(v);
      const bool counted = IsFinite(v);
      sum = __fadd_rn(sum, counted ? term : 0.0f);
      finite += counted;
    }
#pragma unroll
    for (unsigned width = kPartialSums / 2; width >= 1; width /= 2) {
      sum = __fadd_rn(sum, __shfl_down_sync(half_warp_mask, sum, width, kPartialSums));
      finite += __shfl_down_sync(half_warp_mask, finite, width, kPartialSums);
    }
    if (lane == 0) {
      const float mean = finite == 0 ? 0.0f : sum / static_cast<float>(finite);
      args.scales[c] = kKind == kScaleRms && finite != 0 ? sqrtf(mean) : mean;
    }
  }
}

// Pass 2. A warp per sign word: lane l takes element 32 * word + l, the ballot is the word. With error
// feedback each element also gets e_new = -(decompressed - c). blockDim.x is a multiple of 32.
template <class S, bool kResidual>
__global__ void __launch_bounds__(256) onebit_signs(OneBitArgs args) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned long long words = (args.n + 31) / 32;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * blockDim.x / 32;
  for (unsigned long long w = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; w < words;
       w += warps) {
    const unsigned long long i = w * 32 + lane;
    bool negative = false;
    if (i < args.n) {
      const float c = Compensated<S, kResidual>(args, i);
      negative = __float_as_uint(c) > 0x80000000u;  // x < 0 or a negative-signed NaN; not -0
      if (kResidual) {
        const float scale = args.scales[i / args.chunk];
        const float decompressed = negative ? FlipSign(scale) : scale;
        args.e_new[i] = FlipSign(CpuNaN(decompressed, c, decompressed - c));
      }
    }
    const unsigned bits = __ballot_sync(0xFFFFFFFFu, negative);
    if (lane == 0) args.signs[w] = bits;
  }
}

// dst[i] = (sign bit of i set ? -scale : scale) of i's chunk, rounded to storage S. Grid-stride.
template <class S>
__global__ void __launch_bounds__(256) onebit_decompress(OneBitDecompressArgs args) {
  using Bits = typename S::Bits;
  Bits* dst = static_cast<Bits*>(args.dst);
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long i = static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < args.n; i += stride) {
    const float scale = args.scales[i / args.chunk];
    const bool negative = (args.signs[i / 32] >> (i % 32)) & 1u;
    dst[i] = S::FromFloat(negative ? FlipSign(scale) : scale);
  }
}

}  // namespace kn
