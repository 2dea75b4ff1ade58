// SIMD dispatch control: which Highway targets are compiled, supported, active, and forcing one.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/targets.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {

// Dispatched like every kernel, so it reports the target the kernels really run, including after
// a restriction (Highway refreshes its chosen-target table on the next dispatch).
int64_t ActiveTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/error.h"
#include "kernels.h"

namespace kn {
HWY_EXPORT(ActiveTarget);

namespace {
// Detected once, before any restriction: hwy::SupportedTargets() returns the mock while
// SetSupportedTargetsForTest is active. kn_restrict_targets calls this first, so the first
// evaluation always sees the real CPU.
int64_t SupportedTargets() {
  static const int64_t supported = hwy::SupportedTargets() & HWY_TARGETS;
  return supported;
}
}  // namespace
}  // namespace kn

extern "C" {

KN_API int64_t kn_compiled_targets(void) { return HWY_TARGETS; }

KN_API int64_t kn_supported_targets(void) { return kn::SupportedTargets(); }

KN_API int64_t kn_active_target(void) { return HWY_DYNAMIC_DISPATCH(kn::ActiveTarget)(); }

KN_API const char* kn_target_name(int64_t target) { return hwy::TargetName(target); }

KN_API kn_status kn_restrict_targets(int64_t targets) {
  const int64_t supported = kn::SupportedTargets();
  if (targets == 0) {
    hwy::SetSupportedTargetsForTest(0);  // back to detecting the CPU on the next dispatch
    return KN_OK;
  }
  const int64_t allowed = targets & supported;
  if (allowed == 0) {
    return kn::SetError(KN_UNSUPPORTED,
                        "kn_restrict_targets: mask 0x%llx holds no target this CPU supports "
                        "(supported: 0x%llx)",
                        static_cast<unsigned long long>(targets),
                        static_cast<unsigned long long>(supported));
  }
  // Highway does not AND the mock with the CPU's real support: without the mask above, forcing
  // AVX3 on an AVX2 machine would dispatch to AVX-512 code and die with SIGILL.
  hwy::SetSupportedTargetsForTest(allowed);
  return KN_OK;
}

}  // extern "C"
#endif  // HWY_ONCE
