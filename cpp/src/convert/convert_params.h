// Parameters of the dtype conversion kernel.
#ifndef KN_CONVERT_CONVERT_PARAMS_H_
#define KN_CONVERT_CONVERT_PARAMS_H_

#include <cstddef>

#include "kernels.h"

namespace kn {

// dst = (dst_type)(src * scale) over `count` elements.
struct ConvertParams {
  kn_dtype src_type;
  const void* src;  // (count)
  kn_dtype dst_type;
  void* dst;        // (count), may alias src exactly when both types have the same size
  size_t count;
  float scale;      // 1 skips the multiply
};

}  // namespace kn

#endif  // KN_CONVERT_CONVERT_PARAMS_H_
