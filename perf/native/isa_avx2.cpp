// Compiled with -mavx2 -mfma; reached only after probe.cpp has checked the CPU.
#include "fma_chains.h"
#include "isa_loops.h"
#include "row_loops.h"
#include "stream_loops.h"
#include "simd_avx2.h"

namespace kp {
const IsaLoops kAvx2Loops = {stream_copy_slice, stream_triad_slice, fma_chains_for<Avx2>, Avx2::kLanes, add_rms_norm_row_seconds<Avx2>, rms_norm_row_seconds<Avx2>,
                             4 * Avx2::kLanes};
}  // namespace kp
