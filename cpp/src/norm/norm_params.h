// Parameters of the RMSNorm kernels.
#ifndef KN_NORM_NORM_PARAMS_H_
#define KN_NORM_NORM_PARAMS_H_

#include <cstddef>

#include "kernels.h"

namespace kn {

// Per row: y = x / sqrt(mean(x^2) + eps) * weight. add_rms_norm first replaces x by
// residual = round_to_dtype(x + residual), written back, and normalises that.
// Tuning: 4 vector accumulators for the sum of squares (one FMA latency chain each).
// kn_rms_norm calls whose output (rows * cols * element size) is at least this many bytes, with y
// and every row vector-aligned, write y with non-temporal stores (no write-allocate read, see
// StreamStores) and prefetch row r+1 during the weighting pass of row r (which otherwise leaves
// DRAM idle); results are bit-identical. Measured on Zen 5 (AVX3, 32 MiB L3), 2 threads on
// disjoint halves, 4096-wide rows, % of a same-run STREAM copy (median of 16-40 alternating reps):
//   64 MiB: f32 77-95% -> 114-126%, bf16 77-90% -> 113-114%
//   16 MiB (8 MiB out per call): f32 70-101% -> 84-109% (noisy: L3-sized), NT alone 80-104%
//   12 MiB (6 MiB per call, 24 MiB working set fits L3): regular 86-117% vs NT 85-90%
//   8 and 4 MiB: NT 2-8 points slower than regular stores; 64 KiB / 1 row unchanged (plain path).
// 8 MiB: the 2-thread working set (x + y) then reaches the 32 MiB L3.
// add_rms_norm keeps regular stores (98-115% of STREAM already); add_rms_norm_publish, the form for
// the fused all-reduce, streams y whatever its size: its caller chooses it only for large outputs.
constexpr size_t kRmsNormStreamMinBytes = size_t{8} << 20;

struct NormParams {
  kn_dtype dtype;
  const void* x;       // (rows, cols)
  void* residual;      // (rows, cols); add_rms_norm only
  const void* weight;  // (cols)
  void* y;             // (rows, cols), may alias x exactly
  size_t rows;
  size_t cols;
  float eps;
  void* y_copy = nullptr;         // (rows, cols); add_rms_norm_publish only, may alias x exactly
  void* residual_copy = nullptr;  // (rows, cols); add_rms_norm_publish only
};

}  // namespace kn

#endif  // KN_NORM_NORM_PARAMS_H_
