// Argument checks shared by the kernel entry points: dtype, sizes and pointers.
#ifndef KN_CORE_ARGUMENTS_H_
#define KN_CORE_ARGUMENTS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/error.h"

namespace kn {

// Bytes per element, or 0 for a value outside kn_dtype (the C ABI can pass any int).
inline size_t DtypeSize(kn_dtype dtype) {
  switch (dtype) {
    case KN_F32: return 4;
    case KN_F16: return 2;
    case KN_BF16: return 2;
  }
  return 0;
}

inline kn_status CheckDtype(const char* fn, const char* name, kn_dtype dtype) {
  KN_CHECK_ARG(DtypeSize(dtype) != 0, "%s: %s = %d is not a kn_dtype (F32 = 0, F16 = 1, BF16 = 2)",
               fn, name, static_cast<int>(dtype));
  return KN_OK;
}

// `count` elements of `dtype` must be addressable: count * size may not overflow size_t.
inline kn_status CheckCount(const char* fn, const char* name, size_t count, kn_dtype dtype) {
  KN_CHECK_ARG(count <= SIZE_MAX / DtypeSize(dtype), "%s: %s = %zu elements overflows size_t bytes",
               fn, name, count);
  return KN_OK;
}

inline kn_status CheckPointer(const char* fn, const char* name, const void* p, size_t count) {
  KN_CHECK_ARG(p != nullptr, "%s: %s is null (count = %zu)", fn, name, count);
  return KN_OK;
}

// (rows, cols) must describe an addressable matrix with a non-empty row whenever rows > 0.
inline kn_status CheckShape(const char* fn, size_t rows, size_t cols, kn_dtype dtype) {
  KN_CHECK_ARG(cols == 0 || rows <= SIZE_MAX / cols, "%s: rows * cols = %zu * %zu overflows size_t",
               fn, rows, cols);
  KN_CHECK_OK(CheckCount(fn, "rows * cols", rows * cols, dtype));
  KN_CHECK_ARG(rows == 0 || cols > 0, "%s: cols is 0 with rows = %zu", fn, rows);
  return KN_OK;
}

inline kn_status CheckEps(const char* fn, float eps) {
  KN_CHECK_ARG(std::isfinite(eps) && eps > 0.0f, "%s: eps = %g must be finite and > 0", fn,
               static_cast<double>(eps));
  return KN_OK;
}

}  // namespace kn

#endif  // KN_CORE_ARGUMENTS_H_
