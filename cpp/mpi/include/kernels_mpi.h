/* kernels_mpi.h — the C ABI of libkernels_mpi, a thin shim over the system MPI.
 *
 * Why a shim: MPI's ABI differs between implementations (MPI_Comm is a pointer in Open MPI and an int
 * in MPICH; the predefined handles are macros over implementation symbols), so nothing outside this
 * library can call MPI directly and stay portable. The shim is compiled against the system mpi.h and
 * exports only plain C types: int32/size_t/double, void* handles and the enums below. No symbol or
 * type of a particular MPI implementation appears here, so the same header serves Open MPI and MPICH.
 *
 * This header is also the source of the managed bindings (bindings/README.md): keep every
 * declaration on the shape the generator reads.
 *
 * Element types: MPI has no f16 or bf16. Reductions (allreduce, reduce_scatter_block) of those go
 * through f32: the shim widens the input to a temporary f32 buffer, reduces in f32 with MPI and rounds
 * the result once to the element type (round to nearest even), like libkernels' fp32 accumulation. They
 * therefore move twice the bytes. Data movement (allgather, bcast, send, recv) moves f16/bf16 as
 * 16-bit words, unchanged.
 *
 * Counts are elements. MPI counts are int: a count whose elements (or, for allgather and
 * reduce_scatter_block, count x world size) exceed INT32_MAX gives KMPI_INVALID_ARGUMENT.
 * Errors never abort: communicators made here use MPI_ERRORS_RETURN, and kmpi_last_error() returns the
 * message of the calling thread's last failure (valid until that thread's next failing call).
 */
// bindings: library=kernels_mpi namespace=Kernels.Collectives.Mpi class=MpiShimMethods constants=MpiShimConstants prefix=kmpi_ api=KMPI_API
#ifndef KERNELS_MPI_H
#define KERNELS_MPI_H

#include <stddef.h>
#include <stdint.h>

#define KMPI_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version = major * 10000 + minor * 100 + patch. */
#define KMPI_VERSION_MAJOR 0
#define KMPI_VERSION_MINOR 2
#define KMPI_VERSION_PATCH 0

typedef enum kmpi_status {
  KMPI_OK = 0,
  KMPI_INVALID_ARGUMENT = 1, /* null handle or buffer, count too large, unknown enum value */
  KMPI_UNSUPPORTED = 2,      /* a valid request MPI cannot serve here (e.g. thread level not provided) */
  KMPI_MPI_ERROR = 3,        /* MPI returned an error; kmpi_last_error() has MPI's message */
} kmpi_status;

/* Same values as kn_dtype for the types both have. */
typedef enum kmpi_dtype {
  KMPI_F32 = 0,
  KMPI_F16 = 1,  /* reductions go through f32 (see above) */
  KMPI_BF16 = 2, /* reductions go through f32 (see above) */
  KMPI_F64 = 3,
  KMPI_I32 = 4,
  KMPI_BYTE = 5, /* data movement only */
} kmpi_dtype;

/* Same values as kn_reduce_op. */
typedef enum kmpi_op {
  KMPI_OP_SUM = 0,
  KMPI_OP_MAX = 1,
  KMPI_OP_MIN = 2,
} kmpi_op;

/* MPI_THREAD_SINGLE .. MPI_THREAD_MULTIPLE, in MPI's order. */
typedef enum kmpi_thread_level {
  KMPI_THREAD_SINGLE = 0,
  KMPI_THREAD_FUNNELED = 1,
  KMPI_THREAD_SERIALIZED = 2,
  KMPI_THREAD_MULTIPLE = 3,
} kmpi_thread_level;

/* ---- library and process ---------------------------------------------------------------- */

KMPI_API int32_t kmpi_version(void);
KMPI_API const char* kmpi_last_error(void);
/* MPI_Get_library_version's text (e.g. "Open MPI v4.1.4, ..."), first line only; never null. */
KMPI_API const char* kmpi_library_version(void);

/* MPI_Init_thread; *provided receives the level MPI gives (may be below required: the caller decides).
 * If MPI is already initialised (by the host program), only queries the level. */
KMPI_API kmpi_status kmpi_init(kmpi_thread_level required, kmpi_thread_level* provided);
/* 1 between MPI_Init and MPI_Finalize, else 0. */
KMPI_API int32_t kmpi_is_initialized(void);
/* MPI_Finalize; a no-op when MPI is not initialised or already finalised. Free communicators first. */
KMPI_API kmpi_status kmpi_finalize(void);
/* MPI_Wtime: seconds since an arbitrary time in the past. */
KMPI_API double kmpi_wtime(void);
/* MPI_Abort on the communicator (world if null): terminates every process of the job. */
KMPI_API kmpi_status kmpi_abort(void* comm, int32_t error_code);

/* ---- communicators (void* handles owned by the caller; free each with kmpi_comm_free) ---- */

/* A handle to MPI_COMM_WORLD (freeing it releases the handle only). */
KMPI_API kmpi_status kmpi_comm_world(void** comm);
KMPI_API kmpi_status kmpi_comm_dup(void* comm, void** duplicate);
/* MPI_Comm_split: ranks with the same color form a communicator, ordered by key. */
KMPI_API kmpi_status kmpi_comm_split(void* comm, int32_t color, int32_t key, void** part);
/* MPI_Comm_split_type(MPI_COMM_TYPE_SHARED): the ranks on this host (shared memory reachable). */
KMPI_API kmpi_status kmpi_comm_split_host(void* comm, void** host);
/* Frees the handle (and the MPI communicator unless it is world); sets *comm to null. Null is fine. */
KMPI_API kmpi_status kmpi_comm_free(void** comm);
KMPI_API kmpi_status kmpi_comm_rank(void* comm, int32_t* rank);
KMPI_API kmpi_status kmpi_comm_size(void* comm, int32_t* size);

/* ---- collectives and point-to-point (blocking; every rank of comm must call) ------------ */

/* send == recv runs in place. */
KMPI_API kmpi_status kmpi_allreduce(void* comm, const void* send, void* recv, size_t count, kmpi_dtype dtype, kmpi_op op);
/* send holds recv_count x world size elements; rank r receives the reduction of block r. */
KMPI_API kmpi_status kmpi_reduce_scatter_block(void* comm, const void* send, void* recv, size_t recv_count,
                                               kmpi_dtype dtype, kmpi_op op);
/* recv receives send_count x world size elements, rank r's at block r. */
KMPI_API kmpi_status kmpi_allgather(void* comm, const void* send, void* recv, size_t send_count, kmpi_dtype dtype);
KMPI_API kmpi_status kmpi_bcast(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t root);
KMPI_API kmpi_status kmpi_send(void* comm, const void* buffer, size_t count, kmpi_dtype dtype, int32_t dest, int32_t tag);
/* Receives exactly count elements; a shorter or longer message is KMPI_MPI_ERROR. */
KMPI_API kmpi_status kmpi_recv(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t source, int32_t tag);
KMPI_API kmpi_status kmpi_barrier(void* comm);

/* ---- non-blocking (start, then poll kmpi_test: the caller keeps its own deadline) --------------
 * Each start call gives a request handle that kmpi_test frees once the operation is complete. The
 * buffers (and, for iallgatherv, nothing else: the shim copies the counts) must stay valid until then.
 * MPI cannot cancel a collective: a request the caller gives up on (a peer never arrived) must be
 * left alone, with its buffers, for the life of the process. Data movement only: no reductions here
 * (the managed hierarchical communicator reduces with libkernels, in a fixed order). */

/* recv receives send_count x world size elements, rank r's at block r. */
KMPI_API kmpi_status kmpi_iallgather(void* comm, const void* send, void* recv, size_t send_count, kmpi_dtype dtype, void** request);
/* recv receives recv_counts[r] elements from each rank r, packed in rank order; send_count must equal recv_counts[own rank]. */
KMPI_API kmpi_status kmpi_iallgatherv(void* comm, const void* send, size_t send_count, void* recv, const int64_t* recv_counts,
                                      kmpi_dtype dtype, void** request);
KMPI_API kmpi_status kmpi_ibcast(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t root, void** request);
KMPI_API kmpi_status kmpi_isend(void* comm, const void* buffer, size_t count, kmpi_dtype dtype, int32_t dest, int32_t tag, void** request);
/* Completes with KMPI_MPI_ERROR (from kmpi_test) unless exactly count elements arrive. */
KMPI_API kmpi_status kmpi_irecv(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t source, int32_t tag, void** request);
/* MPI_Test: *done = 1 once complete, and then the handle is freed and *request set to null. A failed
 * operation also frees the handle and returns the error. Drives MPI's progress: poll it often. */
KMPI_API kmpi_status kmpi_test(void** request, int32_t* done);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_MPI_H */
