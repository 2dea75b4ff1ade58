// Compiled with -mavx512f; reached only after probe.cpp has checked the CPU.
#include "fma_chains.h"
#include "isa_loops.h"
#include "row_loops.h"
#include "stream_loops.h"
#include "simd_avx512.h"

namespace kp {
const IsaLoops kAvx512Loops = {stream_copy_slice, stream_triad_slice, fma_chains_for<Avx512>, Avx512::kLanes, add_rms_norm_row_seconds<Avx512>,
                               rms_norm_row_seconds<Avx512>, 4 * Avx512::kLanes};
}  // namespace kp
