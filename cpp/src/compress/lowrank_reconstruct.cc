// kn_lowrank_p_qt: m = p q^T, the dense matrix a PowerSGD message stands for.
// Scalar and the same on every target (multiply then add, rank ascending; the library builds with
// -ffp-contract=off): each element is a dot product of two contiguous rank-rows of at most 32
// floats. Vectorising over cols needs q transposed; left for the benchmark session.
#include <cstddef>

#include "core/arguments.h"

extern "C" KN_API kn_status kn_lowrank_p_qt(const float* p, const float* q, float* m, size_t rows,
                                            size_t cols, size_t rank) {
  static constexpr const char* kFn = "kn_lowrank_p_qt";
  KN_CHECK_ARG(rank >= 1 && rank <= 32, "%s: rank = %zu must be in [1, 32]", kFn, rank);
  KN_CHECK_OK(kn::CheckShape(kFn, rows, cols, KN_F32));
  KN_CHECK_ARG(rows <= SIZE_MAX / 32 && cols <= SIZE_MAX / 32,
               "%s: rows = %zu or cols = %zu times rank overflows size_t", kFn, rows, cols);
  if (rows == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "p", p, rows * rank));
  KN_CHECK_OK(kn::CheckPointer(kFn, "q", q, cols * rank));
  KN_CHECK_OK(kn::CheckPointer(kFn, "m", m, rows * cols));
  for (size_t i = 0; i < rows; ++i) {
    const float* prow = p + i * rank;
    for (size_t j = 0; j < cols; ++j) {
      const float* qrow = q + j * rank;
      float sum = 0.0f;
      for (size_t c = 0; c < rank; ++c) sum += prow[c] * qrow[c];
      m[i * cols + j] = sum;
    }
  }
  return KN_OK;
}
