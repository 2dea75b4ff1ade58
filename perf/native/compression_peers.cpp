// The compression peers (compression_peers.h): std::sort of the magnitudes and PowerSGD with
// OpenBLAS products.
#include "compression_peers.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace {

// The same modified Gram-Schmidt as kn_orthonormalize_columns, so the two contenders differ only in
// how they compute the products.
float column_dot(const float* p, size_t rows, size_t rank, size_t a, size_t b) {
  float sum = 0.0f;
  for (size_t i = 0; i < rows; ++i) sum += p[i * rank + a] * p[i * rank + b];
  return sum;
}

void orthonormalize_columns(float* p, size_t rows, size_t rank, float eps) {
  for (size_t c = 0; c < rank; ++c) {
    for (size_t earlier = 0; earlier < c; ++earlier) {
      const float projection = column_dot(p, rows, rank, c, earlier);
      for (size_t i = 0; i < rows; ++i) p[i * rank + c] -= projection * p[i * rank + earlier];
    }
    const float scale = 1.0f / (std::sqrt(column_dot(p, rows, rank, c, c)) + eps);
    for (size_t i = 0; i < rows; ++i) p[i * rank + c] *= scale;
  }
}

// openblas_set_num_threads resizes OpenBLAS's pool; only call it when the count changes.
void use_blas_threads(int32_t threads) {
  static int32_t current = 0;
  if (threads < 1) threads = 1;
  if (threads == current) return;
  openblas_set_num_threads(threads);
  current = threads;
}

}  // namespace

extern "C" KPC_API float kpc_sort_magnitudes(const float* x, float* scratch, size_t n, size_t k) {
  for (size_t i = 0; i < n; ++i) scratch[i] = std::fabs(x[i]);
  std::sort(scratch, scratch + n);
  return scratch[n - k];
}

extern "C" KPC_API void kpc_powersgd_step_openblas(const float* m, float* q, float* q_next, float* p, size_t rows,
                                                   size_t cols, size_t rank, float eps, int32_t threads) {
  use_blas_threads(threads);
  const blasint r = static_cast<blasint>(rows), c = static_cast<blasint>(cols), k = static_cast<blasint>(rank);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, k, c, 1.0f, m, c, q, k, 0.0f, p, k);
  orthonormalize_columns(p, rows, rank, eps);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c, k, r, 1.0f, m, c, p, k, 0.0f, q_next, k);
  std::memcpy(q, q_next, cols * rank * sizeof(float));
}
