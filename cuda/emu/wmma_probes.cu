// Probe kernels for the emulator's WMMA (mma.h), run by kne_wmma_probe_run: a product through every
// layout the emulator offers, and two misuses that must fail the launch.
#include <mma.h>

namespace kn_wmma_probe {

using namespace nvcuda;

// Inputs every probe uses, small integers exact in f16: a (16, 16), b (16, 16), c (16, 16).
__device__ inline float A(int i, int k) { return static_cast<float>((i * 3 + k * 5) % 7 - 3); }
__device__ inline float B(int k, int j) { return static_cast<float>((k * 2 + j) % 5 - 2); }
__device__ inline float C(int i, int j) { return 0.5f * static_cast<float>(i - j); }

// Two warps: warp 0 reads b row-major and c, and writes d, row-major; warp 1 reads b column-major and c,
// and writes d, column-major. out[w * 256 + i * 16 + j] = d(i, j) of warp w.
__global__ void product(float* out) {
  __shared__ __align__(32) __half a[256];
  __shared__ __align__(32) __half b[2][256];
  __shared__ __align__(32) float c[2][256];
  __shared__ __align__(32) float d[2][256];
  for (int e = threadIdx.x; e < 256; e += blockDim.x) {
    const int r = e / 16, s = e % 16;
    a[e] = __float2half(A(r, s));
    b[0][e] = __float2half(B(r, s));  // (k, j) row-major
    b[1][e] = __float2half(B(s, r));  // (k, j) column-major
    c[0][e] = C(r, s);
    c[1][e] = C(s, r);
  }
  __syncthreads();
  const int w = threadIdx.x / 32;
  const wmma::layout_t memory = w == 0 ? wmma::mem_row_major : wmma::mem_col_major;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fc, c[w], 16, memory);
  if (w == 0) {
    wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> fb;
    wmma::load_matrix_sync(fb, b[0], 16);
    wmma::mma_sync(fc, fa, fb, fc);
  } else {
    wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
    wmma::load_matrix_sync(fb, b[1], 16);
    wmma::mma_sync(fc, fa, fb, fc);
  }
  wmma::store_matrix_sync(d[w], fc, 16, memory);
  __syncwarp();
  const int lane = threadIdx.x % 32;
  for (int e = lane; e < 256; e += 32) {
    const int r = e / 16, s = e % 16;
    out[w * 256 + e] = w == 0 ? d[0][e] : d[1][s * 16 + r];
  }
}

// Lane 5 skips mma_sync: undefined on the GPU, a failed launch here.
__global__ void divergent(float* out) {
  __shared__ __align__(32) __half a[256];
  for (int e = threadIdx.x; e < 256; e += blockDim.x) a[e] = __float2half(1.0f);
  __syncthreads();
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
  wmma::fill_fragment(fc, 0.0f);
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fb, a, 16);
  if (threadIdx.x % 32 != 5) wmma::mma_sync(fc, fa, fb, fc);
  out[threadIdx.x] = 1.0f;
}

// ldm of 12 halves (24 bytes) breaks the 16-byte rule.
__global__ void bad_leading_dimension(float* out) {
  __shared__ __align__(32) __half a[256];
  for (int e = threadIdx.x; e < 256; e += blockDim.x) a[e] = __float2half(1.0f);
  __syncthreads();
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
  wmma::load_matrix_sync(fa, a, 12);
  out[threadIdx.x] = 1.0f;
}

}  // namespace kn_wmma_probe
