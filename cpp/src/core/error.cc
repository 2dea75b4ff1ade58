// kn_last_error: the calling thread's last failure message.
#include "core/error.h"

#include <cstdarg>
#include <cstdio>

namespace kn {
namespace {
// Not cleared on success: the header only promises a message after a failure, and skipping the
// write keeps thread-local access off the kernels' fast path.
thread_local char last_error[512] = "";
}  // namespace

kn_status SetError(kn_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(last_error, sizeof(last_error), format, args);
  va_end(args);
  return status;
}

}  // namespace kn

extern "C" KN_API const char* kn_last_error(void) { return kn::last_error; }
