// kne_wmma_probe_run: the emulator's WMMA probe kernels (wmma_probes.cu).
#include "wmma_probes.cu"

#include "kne_error.h"

extern "C" KNE_API kne_status kne_wmma_probe_run(kne_wmma_probe probe, float* out) {
  if (out == nullptr) return kne::Fail(KNE_INVALID_ARGUMENT, "kne_wmma_probe_run: out is null");
  switch (probe) {
    case KNE_WMMA_PROBE_PRODUCT: return kne::FromLaunch(emu_launch(kn_wmma_probe::product, dim3(1), dim3(64), 0, out));
    case KNE_WMMA_PROBE_DIVERGENT: return kne::FromLaunch(emu_launch(kn_wmma_probe::divergent, dim3(1), dim3(32), 0, out));
    case KNE_WMMA_PROBE_BAD_LEADING_DIMENSION:
      return kne::FromLaunch(emu_launch(kn_wmma_probe::bad_leading_dimension, dim3(1), dim3(32), 0, out));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_wmma_probe_run: probe = %d is not a kne_wmma_probe", static_cast<int>(probe));
}
