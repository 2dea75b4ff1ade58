/* attention_peers.h — the benchmark suite's native peer for attention: softmax(scale Q K^T) V
 * materialised, as a BLAS user writes it. Not part of libkernels, which must not depend on BLAS:
 * only perf/Kernels.Perf calls this library, through a hand-written import. */
#ifndef KERNELS_PERF_ATTENTION_PEERS_H
#define KERNELS_PERF_ATTENTION_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define KPA_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* For each (batch, head): S = scale * Q_h K_g^T with cblas_sgemm into `scores` (seq_q x seq_k,
 * fp32), causal mask (bottom-right aligned, as the library's) and a row softmax on `threads`
 * std::threads, then O_h = P V_g with cblas_sgemm. Layout [batch, seq, heads, dim] (the sgemm
 * leading dimensions stride over the heads; no copies); g = h / (heads / kv_heads). OpenBLAS runs
 * on `threads` threads. `scores` holds seq_q * seq_k floats. Built with AVX2 + FMA: the caller
 * checks the CPU first. */
KPA_API void kpa_attention_openblas(const float* q, const float* k, const float* v, float* o, float* scores,
                                    size_t batch, size_t seq_q, size_t seq_k, size_t heads,
                                    size_t kv_heads, size_t head_dim, float scale, int32_t causal,
                                    int32_t threads);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_PERF_ATTENTION_PEERS_H */
