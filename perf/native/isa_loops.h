// isa_loops.h — the probe loops compiled once per instruction set (isa_avx2.cpp, isa_avx512.cpp);
// probe.cpp picks one at run time after checking the CPU.
#pragma once
#include <stddef.h>

namespace kp {

struct IsaLoops {
  void (*stream_copy_slice)(float* dst, const float* src, size_t count);
  void (*stream_triad_slice)(float* a, const float* b, const float* c, float scalar, size_t count);
  long (*fma_chains_for)(double seconds, float* sink);
  int fma_lanes;
  double (*add_rms_norm_row_seconds)(size_t cols, int repeats, int trials);
  double (*rms_norm_row_seconds)(size_t cols, int repeats, int trials);
  size_t row_multiple;  // cols must be a multiple of this (4 vectors per step)
};

extern const IsaLoops kPlainLoops;  // STREAM only: the fallback for CPUs without AVX2 (FMA and row entries are null)
extern const IsaLoops kAvx2Loops;
extern const IsaLoops kAvx512Loops;

}  // namespace kp
