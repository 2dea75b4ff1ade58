// Thread-local last error and the CHECK-style macros every kernel entry point validates with.
#ifndef KN_CORE_ERROR_H_
#define KN_CORE_ERROR_H_

#include "kernels.h"

namespace kn {

// Formats the calling thread's last error message and returns `status`, so a failed check is one
// `return`. The message buffer is thread-local and fixed-size: reporting an error allocates nothing.
kn_status SetError(kn_status status, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace kn

// Returns KN_INVALID_ARGUMENT from the enclosing function with a message when `cond` is false.
#define KN_CHECK_ARG(cond, ...)                                     \
  do {                                                              \
    if (__builtin_expect(!(cond), 0))                               \
      return ::kn::SetError(KN_INVALID_ARGUMENT, __VA_ARGS__);      \
  } while (0)

// Propagates a non-OK status from a validation helper.
#define KN_CHECK_OK(expr)                                           \
  do {                                                              \
    const kn_status kn_check_status_ = (expr);                      \
    if (__builtin_expect(kn_check_status_ != KN_OK, 0))             \
      return kn_check_status_;                                      \
  } while (0)

#endif  // KN_CORE_ERROR_H_
