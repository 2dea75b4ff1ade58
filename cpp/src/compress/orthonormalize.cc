// kn_orthonormalize_columns: modified Gram-Schmidt on the columns of p (rows, rank), in place.
// Scalar and the same on every target (multiply then add, rows ascending; -ffp-contract=off): the
// columns are strided, and the O(rows * rank^2) work is small next to the O(rows * cols * rank)
// products around it.
#include <cmath>
#include <cstddef>

#include "core/arguments.h"

namespace kn {
namespace {

float ColumnDot(const float* p, size_t rows, size_t rank, size_t a, size_t b) {
  float sum = 0.0f;
  for (size_t i = 0; i < rows; ++i) sum += p[i * rank + a] * p[i * rank + b];
  return sum;
}

}  // namespace
}  // namespace kn

extern "C" KN_API kn_status kn_orthonormalize_columns(float* p, size_t rows, size_t rank, float eps) {
  static constexpr const char* kFn = "kn_orthonormalize_columns";
  KN_CHECK_ARG(rank >= 1 && rank <= 32, "%s: rank = %zu must be in [1, 32]", kFn, rank);
  KN_CHECK_OK(kn::CheckEps(kFn, eps));
  KN_CHECK_OK(kn::CheckShape(kFn, rows, rank, KN_F32));
  if (rows == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "p", p, rows * rank));
  for (size_t c = 0; c < rank; ++c) {
    // Modified, not classical: each projection uses the column as already reduced by the earlier
    // ones, which keeps the result orthogonal in fp32 when columns are nearly dependent.
    for (size_t earlier = 0; earlier < c; ++earlier) {
      const float projection = kn::ColumnDot(p, rows, rank, c, earlier);
      for (size_t i = 0; i < rows; ++i) p[i * rank + c] -= projection * p[i * rank + earlier];
    }
    const float scale = 1.0f / (std::sqrt(kn::ColumnDot(p, rows, rank, c, c)) + eps);
    for (size_t i = 0; i < rows; ++i) p[i * rank + c] *= scale;
  }
  return KN_OK;
}
