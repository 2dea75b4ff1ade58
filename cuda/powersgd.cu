// PowerSGD's tall-skinny products and orthogonalisation in fp32 (semantics of
// cpp/src/compress/lowrank.cc and orthonormalize.cc): p = m q, q = m^T p for m (rows, cols) with row
// stride ld, rank <= 32; modified Gram-Schmidt on the columns of p in place. Each output element sums
// its inner index in ascending order with fmaf, as the CPU's MulAdd does on AVX2/AVX3; results match
// the CPU to rounding (the CPU's order within a vector differs by target).
namespace kn {

// Kernel parameters, passed by value.
struct LowRankArgs {
  const float* m;            // (rows, ld)
  const float* in;           // lowrank_m_q: q (cols, rank); lowrank_mt_p: p (rows, rank)
  float* out;                // lowrank_m_q: p (rows, rank); lowrank_mt_p: q (cols, rank)
  unsigned long long rows;
  unsigned long long cols;
  unsigned long long ld;     // >= cols
  unsigned int rank;         // [1, 32]
};

// Kernel parameters of orthonormalize_columns.
struct OrthonormalizeArgs {
  float* p;                  // (rows, rank), in place
  unsigned long long rows;
  unsigned int rank;         // [1, 32]
  float eps;                 // scale = 1 / (norm + eps)
};

// A warp per row of p: lane c (< rank) sums m[r, j] q[j, c] over j; m[r, j] is one broadcast load.
__global__ void __launch_bounds__(256) lowrank_m_q(LowRankArgs args) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * blockDim.x / 32;
  for (unsigned long long r = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; r < args.rows; r += warps) {
    if (lane >= args.rank) continue;
    const float* m = args.m + r * args.ld;
    float sum = 0.0f;
    for (unsigned long long j = 0; j < args.cols; ++j) sum = fmaf(m[j], args.in[j * args.rank + lane], sum);
    args.out[r * args.rank + lane] = sum;
  }
}

// A warp per row of q (a column j of m): lane c (< rank) sums m[r, j] p[r, c] over r ascending.
__global__ void __launch_bounds__(256) lowrank_mt_p(LowRankArgs args) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * blockDim.x / 32;
  for (unsigned long long j = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; j < args.cols; j += warps) {
    if (lane >= args.rank) continue;
    float sum = 0.0f;
    for (unsigned long long r = 0; r < args.rows; ++r) sum = fmaf(args.m[r * args.ld + j], args.in[r * args.rank + lane], sum);
    args.out[j * args.rank + lane] = sum;
  }
}

// Sum over the block of 256 threads (8 warps); every thread gets the same value.
__device__ __forceinline__ float BlockSum256(float v, float* warp_sums) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int w = 0; w < 8; ++w) total += warp_sums[w];
  __syncthreads();  // warp_sums is rewritten by the next sum
  return total;
}

__device__ __forceinline__ float ColumnDot(const OrthonormalizeArgs& args, unsigned a, unsigned b, float* warp_sums) {
  float sum = 0.0f;
  for (unsigned long long i = threadIdx.x; i < args.rows; i += 256) sum = fmaf(args.p[i * args.rank + a], args.p[i * args.rank + b], sum);
  return BlockSum256(sum, warp_sums);
}

// One block of exactly 256 threads. Modified Gram-Schmidt: each projection uses the column as already
// reduced by the earlier ones. Every thread updates only rows it also reads, so a block barrier inside
// each dot product orders the updates.
__global__ void __launch_bounds__(256) orthonormalize_columns(OrthonormalizeArgs args) {
  __shared__ float warp_sums[8];
  for (unsigned c = 0; c < args.rank; ++c) {
    for (unsigned earlier = 0; earlier < c; ++earlier) {
      const float projection = ColumnDot(args, c, earlier, warp_sums);
      for (unsigned long long i = threadIdx.x; i < args.rows; i += 256) args.p[i * args.rank + c] -= projection * args.p[i * args.rank + earlier];
    }
    const float scale = 1.0f / (sqrtf(ColumnDot(args, c, c, warp_sums)) + args.eps);
    for (unsigned long long i = threadIdx.x; i < args.rows; i += 256) args.p[i * args.rank + c] *= scale;
  }
}

}  // namespace kn
