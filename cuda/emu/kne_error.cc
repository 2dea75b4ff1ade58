#include "kne_error.h"

#include <cstdarg>
#include <cstdio>

namespace {
thread_local char g_last_error[1024];
}

namespace kne {

kne_status Fail(kne_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_last_error, sizeof g_last_error, format, args);
  va_end(args);
  return status;
}

kne_status FromLaunch(const cuda_emu::LaunchResult& result) {
  return result.ok ? KNE_OK : Fail(KNE_LAUNCH_FAILED, "%s", result.message.c_str());
}

}  // namespace kne

extern "C" KNE_API const char* kne_last_error(void) { return g_last_error; }
