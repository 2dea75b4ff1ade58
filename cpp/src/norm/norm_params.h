// Parameters of the RMSNorm kernels.
#ifndef KN_NORM_NORM_PARAMS_H_
#define KN_NORM_NORM_PARAMS_H_

#include <cstddef>

#include "kernels.h"

namespace kn {

// Per row: y = x / sqrt(mean(x^2) + eps) * weight. add_rms_norm first replaces x by
// residual = round_to_dtype(x + residual), written back, and normalises that.
// Tuning: 4 vector accumulators for the sum of squares (one FMA latency chain each).
struct NormParams {
  kn_dtype dtype;
  const void* x;       // (rows, cols)
  void* residual;      // (rows, cols); add_rms_norm only
  const void* weight;  // (cols)
  void* y;             // (rows, cols), may alias x exactly
  size_t rows;
  size_t cols;
  float eps;
};

}  // namespace kn

#endif  // KN_NORM_NORM_PARAMS_H_
