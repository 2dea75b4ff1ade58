// kn_version: the ABI version the managed loader checks (it refuses another major).
#include "kernels.h"

extern "C" KN_API int32_t kn_version(void) {
  return KN_VERSION_MAJOR * 10000 + KN_VERSION_MINOR * 100 + KN_VERSION_PATCH;
}
