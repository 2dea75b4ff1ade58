// Parameters of the element-wise reduce kernels.
#ifndef KN_REDUCE_REDUCE_PARAMS_H_
#define KN_REDUCE_REDUCE_PARAMS_H_

#include <cstddef>

#include "kernels.h"

namespace kn {

// dst = op(a, b) * scale over `count` elements of `dtype`; kn_reduce_accumulate passes a == dst.
// Tuning: 4 vectors per loop iteration, plain (write-allocating) stores: at 64-256 MiB on 2 threads
// f32 sum measured 100-117% of a same-run STREAM triad, so non-temporal stores, which would evict
// results a collective reads next, are not worth it.
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
