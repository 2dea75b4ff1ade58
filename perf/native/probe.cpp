// The probe's run-time dispatch: built with plain flags, so the CPU check runs anywhere and only
// then calls into the AVX2 or AVX-512 build of the loops.
#include <atomic>
#include <limits>

#include "isa_loops.h"
#include "probe.h"
#include "stream_loops.h"
#include "thread_team.h"

namespace kp {
const IsaLoops kPlainLoops = {stream_copy_slice, stream_triad_slice, nullptr, 0, nullptr, nullptr, 0};
}  // namespace kp

namespace {

// The loops for `vector_bits` (256 or 512), or null when this CPU cannot run them.
const kp::IsaLoops* loops_for(int32_t vector_bits) {
  __builtin_cpu_init();
  if (vector_bits == 512 && __builtin_cpu_supports("avx512f")) return &kp::kAvx512Loops;
  if (vector_bits == 256 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kp::kAvx2Loops;
  return nullptr;
}

const kp::IsaLoops& widest_loops() {
  if (const kp::IsaLoops* loops = loops_for(512)) return *loops;
  if (const kp::IsaLoops* loops = loops_for(256)) return *loops;
  return kp::kPlainLoops;
}

template <class Pass>
double best_of(int repeats, int threads, Pass pass) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < (repeats < 1 ? 1 : repeats); ++r) {
    const double seconds = kp::run_team(threads, pass);
    if (seconds < best) best = seconds;
  }
  return best;
}

}  // namespace

extern "C" KP_API double kp_stream_copy(float* dst, const float* src, size_t count, int32_t threads, int32_t repeats) {
  if (threads < 1) threads = 1;
  const kp::IsaLoops& loops = widest_loops();
  return best_of(repeats, threads, [&](int index) {
    size_t begin, end;
    kp::slice_of(count, threads, index, &begin, &end);
    loops.stream_copy_slice(dst + begin, src + begin, end - begin);
  });
}

extern "C" KP_API double kp_stream_triad(float* a, const float* b, const float* c, float scalar, size_t count,
                                         int32_t threads, int32_t repeats) {
  if (threads < 1) threads = 1;
  const kp::IsaLoops& loops = widest_loops();
  return best_of(repeats, threads, [&](int index) {
    size_t begin, end;
    kp::slice_of(count, threads, index, &begin, &end);
    loops.stream_triad_slice(a + begin, b + begin, c + begin, scalar, end - begin);
  });
}

extern "C" KP_API int32_t kp_widest_vector_bits(void) {
  if (loops_for(512)) return 512;
  if (loops_for(256)) return 256;
  return 0;
}

extern "C" KP_API double kp_fma_peak_gflops(int32_t threads, double seconds_per_thread, int32_t vector_bits) {
  const kp::IsaLoops* loops = loops_for(vector_bits);
  if (!loops) return 0.0;
  if (threads < 1) threads = 1;
  std::atomic<long> issued{0};
  float sinks[64] = {};
  const double wall = kp::run_team(threads, [&](int index) {
    issued += loops->fma_chains_for(seconds_per_thread, &sinks[index % 64]);
  });
  const double flops_per_fma = loops->fma_lanes * 2.0;  // multiply + add per lane
  return issued.load() * flops_per_fma / wall / 1e9;
}

extern "C" KP_API double kp_add_rms_norm_row_seconds(size_t cols, int32_t repeats, int32_t trials, int32_t vector_bits) {
  const kp::IsaLoops* loops = loops_for(vector_bits);
  if (!loops || cols == 0 || cols % loops->row_multiple != 0 || repeats < 1) return -1.0;
  return loops->add_rms_norm_row_seconds(cols, repeats, trials);
}

extern "C" KP_API double kp_rms_norm_row_seconds(size_t cols, int32_t repeats, int32_t trials, int32_t vector_bits) {
  const kp::IsaLoops* loops = loops_for(vector_bits);
  if (!loops || cols == 0 || cols % loops->row_multiple != 0 || repeats < 1) return -1.0;
  return loops->rms_norm_row_seconds(cols, repeats, trials);
}
