/* gloo_peer.h — Gloo (PyTorch's CPU collectives library, Debian's libgloo-dev) as a benchmark peer inside our own rank
 * processes: kernels-perf collective-rank times gloo::AllreduceRing in turns with our collectives and MPI's. Ranks meet
 * through a gloo::rendezvous::FileStore in a private folder and connect over TCP on 127.0.0.1. Not part of libkernels;
 * only perf/Kernels.Perf calls this library, through a hand-written import. Built only when CMake finds Gloo. */
#ifndef KERNELS_PERF_GLOO_PEER_H
#define KERNELS_PERF_GLOO_PEER_H

#include <stddef.h>
#include <stdint.h>

#define KPG_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kpg_context kpg_context;
typedef struct kpg_allreduce kpg_allreduce;

/* "Gloo <major>.<minor>.<patch> (tcp, 127.0.0.1)". */
KPG_API const char* kpg_library_version(void);

/* The message of this thread's last failure (a call that returned NULL or nonzero). */
KPG_API const char* kpg_last_error(void);

/* Joins the job of `size` ranks meeting in `rendezvous_dir` as `rank`; blocks until every rank has connected
 * (Gloo's own timeout). NULL on failure. */
KPG_API kpg_context* kpg_connect(int32_t rank, int32_t size, const char* rendezvous_dir);
KPG_API void kpg_close(kpg_context* context);

/* gloo::AllreduceRing (sum, in place) over data[0..count), built once and run many times, as PyTorch caches it. */
KPG_API kpg_allreduce* kpg_allreduce_ring_create(kpg_context* context, float* data, size_t count);
KPG_API int32_t kpg_allreduce_run(kpg_allreduce* allreduce);
KPG_API void kpg_allreduce_free(kpg_allreduce* allreduce);

#ifdef __cplusplus
}
#endif

#endif
