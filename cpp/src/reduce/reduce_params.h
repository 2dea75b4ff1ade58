// Parameters of the element-wise reduce kernels.
#ifndef KN_REDUCE_REDUCE_PARAMS_H_
#define KN_REDUCE_REDUCE_PARAMS_H_

#include <cstddef>

#include "kernels.h"

namespace kn {

// dst = op(a, b) * scale over `count` elements of `dtype`; kn_reduce_accumulate passes a == dst.
// Tuning: 4 vectors per loop iteration; plain stores for calls below kReduceStreamMinBytes of output,
// non-temporal stores (no write-allocate read of dst) at or above it.

// Calls whose output (count * element size) is at least this many bytes write dst with
// non-temporal stores after a regular-store head up to the first vector-aligned element (see
// StreamStores); results are bit-identical. Measured on Zen 5 (AVX3, 32 MiB L3), 2 threads on
// disjoint halves, % of a same-run STREAM triad (median of 20-40 alternating reps):
//   64 MiB arrays: bf16 sum 87-89% -> 121-127%, f32 sum 97% -> 121-127%
//   16 MiB (8 MiB out per call): bf16 82-93% -> 102-111%, f32 96-103% -> 102-119%
//   8 MiB (4 MiB per call, 24 MiB working set fits L3): mixed, f32 regular stores up to +15% when
//   the data stays in L3; 64 KiB and 16 KiB calls unchanged (plain path).
// 6 MiB: NT only once the 2-thread working set (3 arrays) exceeds the 32 MiB L3, where a
// collective reading the result next would miss the cache anyway.
constexpr size_t kReduceStreamMinBytes = size_t{6} << 20;

struct ReduceParams {
  kn_dtype dtype;
  kn_reduce_op op;
  const void* a;  // (count)
  const void* b;  // (count)
  void* dst;      // (count), may alias a or b exactly
  size_t count;
  float scale;    // 1 skips the multiply
};

}  // namespace kn

#endif  // KN_REDUCE_REDUCE_PARAMS_H_
