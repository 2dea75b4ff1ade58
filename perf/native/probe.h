/* probe.h — the benchmark suite's native peers: machine limits (STREAM, FMA peak) and tight
 * single-threaded loops that bound what one kernel call can cost. Not part of libkernels: only
 * perf/Kernels.Perf calls it, through a hand-written import of these few functions. */
#ifndef KERNELS_PERF_PROBE_H
#define KERNELS_PERF_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define KP_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* STREAM copy dst[i] = src[i] over count floats, split into `threads` contiguous slices, with the
 * widest vectors the CPU has (AVX-512, AVX2, else SSE2), plain stores (no non-temporal stores: the
 * kernels use none). Runs `repeats` times and returns the best wall time of one pass in seconds. */
KP_API double kp_stream_copy(float* dst, const float* src, size_t count, int32_t threads, int32_t repeats);

/* STREAM triad a[i] = b[i] + scalar * c[i]; same conventions as kp_stream_copy. */
KP_API double kp_stream_triad(float* a, const float* b, const float* c, float scalar, size_t count,
                              int32_t threads, int32_t repeats);

/* Widest vector the FMA probe and row loops can use here: 512 (AVX-512F), 256 (AVX2 + FMA) or 0.
 * vector_bits below takes 256 or 512; a width the CPU lacks gives 0 (FMA) or a negative value (rows). */
KP_API int32_t kp_widest_vector_bits(void);

/* Peak fp32 FMA throughput in GFLOP/s (an FMA lane counts as 2 flops) on `threads` threads, each
 * running `seconds_per_thread` of 12 independent FMA chains of `vector_bits` vectors. */
KP_API double kp_fma_peak_gflops(int32_t threads, double seconds_per_thread, int32_t vector_bits);

/* Seconds per row of a single-threaded loop over one (1, cols) f32 row with `vector_bits` vectors,
 * repeated `repeats` times inside native code so no call overhead is counted; median of `trials`.
 * add_rms_norm: residual = x + residual, y = residual / sqrt(mean(residual^2) + eps) * weight, eps 1e-6.
 * cols must be a multiple of 4 vectors (32 floats for AVX2, 64 for AVX-512). */
KP_API double kp_add_rms_norm_row_seconds(size_t cols, int32_t repeats, int32_t trials, int32_t vector_bits);
KP_API double kp_rms_norm_row_seconds(size_t cols, int32_t repeats, int32_t trials, int32_t vector_bits);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_PERF_PROBE_H */
