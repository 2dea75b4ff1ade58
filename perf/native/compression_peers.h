/* compression_peers.h — the benchmark suite's native peers for gradient compression: a full sort
 * of the magnitudes (what exact top-k replaces) and PowerSGD's step with OpenBLAS products. Not
 * part of libkernels, which must not depend on BLAS: only perf/Kernels.Perf calls this library,
 * through a hand-written import. */
#ifndef KERNELS_PERF_COMPRESSION_PEERS_H
#define KERNELS_PERF_COMPRESSION_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define KPC_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* scratch[i] = |x[i]| for i < n, then std::sort of scratch (one thread, ascending). Returns the k-th
 * largest magnitude, scratch[n - k], the threshold a sort-based top-k would cut at. 1 <= k <= n. */
KPC_API float kpc_sort_magnitudes(const float* x, float* scratch, size_t n, size_t k);

/* One PowerSGD step as a BLAS user would write it: p = m q (cblas_sgemm), modified Gram-Schmidt on
 * the columns of p (the library's scalar loop, eps added to each norm), q = m^T p (cblas_sgemm,
 * written to q_next, then copied into q for the next step's warm start). Row-major: m (rows, cols),
 * q and q_next (cols, rank), p (rows, rank). OpenBLAS runs on `threads` threads. */
KPC_API void kpc_powersgd_step_openblas(const float* m, float* q, float* q_next, float* p, size_t rows,
                                        size_t cols, size_t rank, float eps, int32_t threads);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_PERF_COMPRESSION_PEERS_H */
