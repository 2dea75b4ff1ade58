/* nccl.h (curated) — the subset of NVIDIA's NCCL (libnccl.so.2) that Kernels.Cuda.NcclCommunicator uses, in the
 * shape the bindings generator reads. Values and signatures follow the real nccl.h of NCCL 2.14 and later (ncclAvg and
 * ncclBfloat16 arrived in 2.10, ncclCommInitRankConfig with non-blocking communicators in 2.14). The opaque
 * ncclComm_t and cudaStream_t handles are spelled void*; device buffers are void* holding a CUdeviceptr. ncclUniqueId
 * is a 128-byte struct passed BY VALUE to ncclCommInitRankConfig (the blocking ncclCommInitRank is not bound: a
 * peer dying during it would hang the caller). Loaded at run time when present
 * (managed/Kernels/Interop/NativeLibraryLocator.cs); never linked, never required.
 */
// bindings: library=nccl namespace=Kernels.Cuda.Interop class=NcclMethods constants=NcclConstants prefix=nccl api=NCCL_BINDING
#ifndef KERNELS_BINDINGS_NCCL_H
#define KERNELS_BINDINGS_NCCL_H

#include <stddef.h>

#define NCCL_BINDING

#define NCCL_UNIQUE_ID_BYTES 128

typedef struct ncclUniqueId {
  char internal[128];
} ncclUniqueId;

/* ncclConfig_t as NCCL 2.14 laid it out. NCCL copies `size` bytes of the caller's config and gives every field a
 * later version added its default when `version` is older, so this prefix stays valid for every later NCCL. */
#define NCCL_CONFIG_MAGIC 0xcafebeef
#define NCCL_CONFIG_LAYOUT_VERSION 21400

typedef struct ncclConfig_v21400 {
  size_t size;          /* sizeof this struct */
  unsigned int magic;   /* NCCL_CONFIG_MAGIC */
  unsigned int version; /* NCCL_CONFIG_LAYOUT_VERSION */
  int blocking;         /* 0: init and collectives return ncclInProgress; completion is polled with ncclCommGetAsyncError */
} ncclConfig_v21400;

typedef enum ncclResult_t {
  ncclSuccess = 0,
  ncclUnhandledCudaError = 1,
  ncclSystemError = 2,
  ncclInternalError = 3,
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,
  ncclRemoteError = 6,
  ncclInProgress = 7,
} ncclResult_t;

typedef enum ncclRedOp_t { ncclSum = 0, ncclProd = 1, ncclMax = 2, ncclMin = 3, ncclAvg = 4 } ncclRedOp_t;

typedef enum ncclDataType_t {
  ncclInt8 = 0,
  ncclUint8 = 1,
  ncclInt32 = 2,
  ncclUint32 = 3,
  ncclInt64 = 4,
  ncclUint64 = 5,
  ncclFloat16 = 6,
  ncclFloat32 = 7,
  ncclFloat64 = 8,
  ncclBfloat16 = 9,
} ncclDataType_t;

/* ---- library, errors ------------------------------------------------------------------------------- */
NCCL_BINDING ncclResult_t ncclGetVersion(int* version);
NCCL_BINDING const char* ncclGetErrorString(ncclResult_t result);
NCCL_BINDING ncclResult_t ncclGetUniqueId(ncclUniqueId* uniqueId);

/* ---- communicators ---------------------------------------------------------------------------------- */
NCCL_BINDING ncclResult_t ncclCommInitRankConfig(void** comm, int nranks, ncclUniqueId commId, int rank,
                                                 ncclConfig_v21400* config);
NCCL_BINDING ncclResult_t ncclCommDestroy(void* comm);
/* Frees the communicator without waiting for pending operations: the way out when a peer has failed. */
NCCL_BINDING ncclResult_t ncclCommAbort(void* comm);
/* An error raised asynchronously by a collective in flight (a peer lost, a network failure), or ncclInProgress while a
 * non-blocking communicator's initialisation or queued call has not finished. */
NCCL_BINDING ncclResult_t ncclCommGetAsyncError(void* comm, ncclResult_t* asyncError);

/* ---- collectives (queued on the CUDA stream) -------------------------------------------------------- */
NCCL_BINDING ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                        ncclRedOp_t op, void* comm, void* stream);
NCCL_BINDING ncclResult_t ncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                            ncclDataType_t datatype, ncclRedOp_t op, void* comm, void* stream);
NCCL_BINDING ncclResult_t ncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount, ncclDataType_t datatype,
                                        void* comm, void* stream);
NCCL_BINDING ncclResult_t ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                                        int root, void* comm, void* stream);
NCCL_BINDING ncclResult_t ncclSend(const void* sendbuff, size_t count, ncclDataType_t datatype, int peer, void* comm,
                                   void* stream);
NCCL_BINDING ncclResult_t ncclRecv(void* recvbuff, size_t count, ncclDataType_t datatype, int peer, void* comm,
                                   void* stream);
NCCL_BINDING ncclResult_t ncclGroupStart(void);
NCCL_BINDING ncclResult_t ncclGroupEnd(void);

#endif /* KERNELS_BINDINGS_NCCL_H */
