// RMSNorm and fused add + RMSNorm per row, fp32 accumulation (semantics of cpp/src/norm):
//   rms_norm:      y = x / sqrt(mean(x^2) + eps) * weight
//   add_rms_norm:  residual = round(x + residual) (written back), then y = RMSNorm(residual) * weight
// Two layouts: a warp per row for narrow rows (no block barrier; 8 rows per 256-thread block) and a
// block per row for wide rows (warp sums meet in dynamic shared memory: 4 bytes per warp).
// Summation order, fixed for a given launch shape so reruns give the same bits: thread t of the
// row's n threads accumulates, with fmaf, its elements in increasing column order (groups of 8 when
// vectorised, else columns t, t + n, ...); warps combine by an xor butterfly; the block layout
// then adds the warp sums in warp order. Results differ from the CPU kernels by rounding only.
#include "float_storage.cuh"

// Dynamic shared memory of the block layout: one float per warp. At global scope, where the
// emulator defines it (cuda/emu/cuda_emu.h).
extern __shared__ __align__(16) unsigned char kn_dynamic_shared[];

namespace kn {

// Kernel parameters, passed by value as one argument block.
struct NormArgs {
  const void* x;             // (rows, cols)
  void* residual;            // (rows, cols); add_rms_norm only
  const void* weight;        // (cols)
  void* y;                   // (rows, cols), may alias x exactly
  unsigned long long rows;
  unsigned long long cols;
  float eps;
};

constexpr unsigned kFullWarp = 0xFFFFFFFFu;

// Every lane gets the same total (xor butterfly), so the whole warp computes the same scale.
__device__ __forceinline__ float WarpSum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullWarp, v, offset);
  return v;
}

// Sum over the block; every thread gets the same value. blockDim.x is a multiple of 32.
__device__ __forceinline__ float BlockSum(float v) {
  float* warp_sums = reinterpret_cast<float*>(kn_dynamic_shared);
  v = WarpSum(v);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.0f;
  for (unsigned w = 0; w < blockDim.x / 32; ++w) total += warp_sums[w];
  __syncthreads();  // warp_sums is rewritten by the block's next row
  return total;
}

// One row, shared by `threads` threads of which this is number `t`. Both passes give each thread
// the same columns, so the second pass reads only what this thread itself read or wrote in the
// first: y may alias x, and the residual written back needs no barrier before it is re-read.
template <class S, bool kAdd, bool kBlock>
__device__ __forceinline__ void NormalizeRow(const NormArgs& args, unsigned long long row, unsigned t, unsigned threads,
                                             bool vectorised) {
  using Bits = typename S::Bits;
  const unsigned long long offset = row * args.cols;
  const Bits* x = static_cast<const Bits*>(args.x) + offset;
  Bits* r = kAdd ? static_cast<Bits*>(args.residual) + offset : nullptr;
  const Bits* w = static_cast<const Bits*>(args.weight);
  Bits* y = static_cast<Bits*>(args.y) + offset;
  const Bits* normalised = kAdd ? r : x;

  float squares = 0.0f;
  if (vectorised) {
    for (unsigned long long c = 8ull * t; c < args.cols; c += 8ull * threads) {
      Pack8<S> v;
      v.Load(x + c);
      if (kAdd) {
        Pack8<S> old;
        old.Load(r + c);
#pragma unroll
        for (int j = 0; j < 8; ++j) v.v[j] += old.v[j];
        v.Round();
        v.Store(r + c);
      }
#pragma unroll
      for (int j = 0; j < 8; ++j) squares = fmaf(v.v[j], v.v[j], squares);
    }
  } else {
    for (unsigned long long c = t; c < args.cols; c += threads) {
      float v = S::ToFloat(x[c]);
      if (kAdd) {
        const Bits rounded = S::FromFloat(v + S::ToFloat(r[c]));
        r[c] = rounded;
        v = S::ToFloat(rounded);
      }
      squares = fmaf(v, v, squares);
    }
  }

  const float total = kBlock ? BlockSum(squares) : WarpSum(squares);
  // IEEE division and square root (NVRTC's defaults), as the CPU kernels compute it.
  const float inv = 1.0f / sqrtf(total / static_cast<float>(args.cols) + args.eps);

  if (vectorised) {
    for (unsigned long long c = 8ull * t; c < args.cols; c += 8ull * threads) {
      Pack8<S> v, weight;
      v.Load(normalised + c);
      weight.Load(w + c);
#pragma unroll
      for (int j = 0; j < 8; ++j) v.v[j] = v.v[j] * inv * weight.v[j];
      v.Store(y + c);
    }
  } else {
    for (unsigned long long c = t; c < args.cols; c += threads)
      y[c] = S::FromFloat(S::ToFloat(normalised[c]) * inv * S::ToFloat(w[c]));
  }
}

// 128-bit accesses need every row start aligned: aligned bases and cols a multiple of 8.
template <bool kAdd>
__device__ __forceinline__ bool Vectorisable(const NormArgs& args) {
  return args.cols % 8 == 0 && Aligned16(args.x) && Aligned16(args.weight) && Aligned16(args.y) &&
         (!kAdd || Aligned16(args.residual));
}

// Warp w of the grid handles rows w, w + warps, ...; blockDim.x is a multiple of 32.
template <class S, bool kAdd>
__device__ __forceinline__ void WarpPerRow(const NormArgs& args) {
  const unsigned warps_per_block = blockDim.x / 32;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * warps_per_block;
  const bool vectorised = Vectorisable<kAdd>(args);
  for (unsigned long long row = static_cast<unsigned long long>(blockIdx.x) * warps_per_block + threadIdx.x / 32;
       row < args.rows; row += warps)
    NormalizeRow<S, kAdd, false>(args, row, threadIdx.x % 32, 32, vectorised);
}

// Block b handles rows b, b + gridDim.x, ...; needs (blockDim.x / 32) * 4 bytes of dynamic shared memory.
template <class S, bool kAdd>
__device__ __forceinline__ void BlockPerRow(const NormArgs& args) {
  const bool vectorised = Vectorisable<kAdd>(args);
  for (unsigned long long row = blockIdx.x; row < args.rows; row += gridDim.x)
    NormalizeRow<S, kAdd, true>(args, row, threadIdx.x, blockDim.x, vectorised);
}

template <class S>
__global__ void __launch_bounds__(256) rms_norm_warp_per_row(NormArgs args) { WarpPerRow<S, false>(args); }
template <class S>
__global__ void __launch_bounds__(1024) rms_norm_block_per_row(NormArgs args) { BlockPerRow<S, false>(args); }
template <class S>
__global__ void __launch_bounds__(256) add_rms_norm_warp_per_row(NormArgs args) { WarpPerRow<S, true>(args); }
template <class S>
__global__ void __launch_bounds__(1024) add_rms_norm_block_per_row(NormArgs args) { BlockPerRow<S, true>(args); }

}  // namespace kn
