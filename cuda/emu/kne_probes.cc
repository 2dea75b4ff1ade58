// kne_probe_run: the emulator's probe kernels (emu_probes.cu).
#include "emu_probes.cu"

#include "kne_error.h"

extern "C" KNE_API kne_status kne_probe_run(kne_probe probe, int32_t* out, uint32_t grid_x, uint32_t block_x) {
  if (out == nullptr) return kne::Fail(KNE_INVALID_ARGUMENT, "kne_probe_run: out is null");
  const dim3 grid(grid_x), block(block_x);
  switch (probe) {
    case KNE_PROBE_SHUFFLES: return kne::FromLaunch(emu_launch(kn_probe::shuffles, grid, block, 0, out));
    case KNE_PROBE_VOTES: return kne::FromLaunch(emu_launch(kn_probe::votes, grid, block, 0, out));
    case KNE_PROBE_SHARED_AND_ATOMICS: return kne::FromLaunch(emu_launch(kn_probe::shared_and_atomics, grid, block, 0, out));
    case KNE_PROBE_BARRIER_SKIPPED: return kne::FromLaunch(emu_launch(kn_probe::barrier_skipped, grid, block, 0, out));
    case KNE_PROBE_EXITED_LANE: return kne::FromLaunch(emu_launch(kn_probe::exited_lane, grid, block, 0, out));
    case KNE_PROBE_HALF_WARPS: return kne::FromLaunch(emu_launch(kn_probe::half_warps, grid, block, 0, out));
    case KNE_PROBE_TRAP: return kne::FromLaunch(emu_launch(kn_probe::trap, grid, block, 0, out));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_probe_run: probe = %d is not a kne_probe", static_cast<int>(probe));
}
