// kn_stream_copy: an exact byte copy whose stores bypass the cache, for large outputs that are not
// read again soon (the gather of the fused all-reduce + RMSNorm): it skips the write-allocate read
// of every destination line, a third of a regular copy's memory traffic.
#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "norm/stream_copy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "norm/stream_copy-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {

void StreamCopy(void* dst, const void* src, size_t bytes) {
  StreamCopyBytes(static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), bytes);
  hwy::FlushStream();
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(StreamCopy);
}  // namespace kn

extern "C" KN_API kn_status kn_stream_copy(void* dst, const void* src, size_t bytes) {
  static constexpr const char* kFn = "kn_stream_copy";
  if (bytes == 0) return KN_OK;
  KN_CHECK_OK(kn::CheckPointer(kFn, "dst", dst, bytes));
  KN_CHECK_OK(kn::CheckPointer(kFn, "src", src, bytes));
  HWY_DYNAMIC_DISPATCH(kn::StreamCopy)(dst, src, bytes);
  return KN_OK;
}
#endif  // HWY_ONCE
