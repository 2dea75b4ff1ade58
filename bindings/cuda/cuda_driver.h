/* cuda_driver.h (curated) — the subset of the CUDA driver API (libcuda.so.1) that Kernels.Cuda
 * uses, in the shape the bindings generator reads. Entry points carry the versioned names the real
 * cuda.h maps to (cuMemAlloc -> cuMemAlloc_v2, ...). Handles (CUcontext, CUmodule, CUfunction,
 * CUstream, CUevent) are spelled void*, CUdeviceptr uint64_t, CUdevice int; CUipcMemHandle is the 64-byte
 * struct the driver passes by value. Loaded at run time
 * (managed/Kernels/Interop/NativeLibraryLocator.cs); never linked.
 */
// bindings: library=cuda namespace=Kernels.Cuda.Interop class=CudaDriverMethods constants=CudaDriverConstants prefix=cu api=CU_BINDING
#ifndef KERNELS_BINDINGS_CUDA_DRIVER_H
#define KERNELS_BINDINGS_CUDA_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#define CU_BINDING

/* The results Kernels.Cuda tells apart; any other value is reported with cuGetErrorName. */
typedef enum CUresult {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_DEINITIALIZED = 4,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_NOT_READY = 600,
  CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
  CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704,
  CUDA_ERROR_PEER_ACCESS_NOT_ENABLED = 705,
  CUDA_ERROR_UNKNOWN = 999,
} CUresult;

typedef enum CUdevice_attribute {
  CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
  CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
} CUdevice_attribute;

typedef enum CUfunction_attribute {
  CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
  CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
  CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
} CUfunction_attribute;

/* An exported device allocation, opened by another process with cuIpcOpenMemHandle. */
typedef struct CUipcMemHandle {
  char reserved[64];
} CUipcMemHandle;

/* ---- init, errors, devices ------------------------------------------------------------------ */
CU_BINDING CUresult cuInit(unsigned int flags);
CU_BINDING CUresult cuDriverGetVersion(int* driverVersion);
CU_BINDING CUresult cuGetErrorName(CUresult error, const char** pStr);
CU_BINDING CUresult cuGetErrorString(CUresult error, const char** pStr);
CU_BINDING CUresult cuDeviceGetCount(int* count);
CU_BINDING CUresult cuDeviceGet(int* device, int ordinal);
CU_BINDING CUresult cuDeviceGetName(char* name, int len, int dev);
CU_BINDING CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, int dev);
CU_BINDING CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev);

/* ---- primary context -------------------------------------------------------------------------- */
CU_BINDING CUresult cuDevicePrimaryCtxRetain(void** pctx, int dev);
CU_BINDING CUresult cuDevicePrimaryCtxRelease_v2(int dev);
CU_BINDING CUresult cuCtxSetCurrent(void* ctx);
CU_BINDING CUresult cuCtxGetCurrent(void** pctx);
CU_BINDING CUresult cuCtxSynchronize(void);

/* ---- memory ----------------------------------------------------------------------------------- */
CU_BINDING CUresult cuMemAlloc_v2(uint64_t* dptr, size_t bytesize);
CU_BINDING CUresult cuMemFree_v2(uint64_t dptr);
CU_BINDING CUresult cuMemHostAlloc(void** pp, size_t bytesize, unsigned int Flags);
CU_BINDING CUresult cuMemFreeHost(void* p);
CU_BINDING CUresult cuMemcpyHtoD_v2(uint64_t dstDevice, const void* srcHost, size_t ByteCount);
CU_BINDING CUresult cuMemcpyDtoH_v2(void* dstHost, uint64_t srcDevice, size_t ByteCount);
CU_BINDING CUresult cuMemcpyDtoD_v2(uint64_t dstDevice, uint64_t srcDevice, size_t ByteCount);
CU_BINDING CUresult cuMemcpyHtoDAsync_v2(uint64_t dstDevice, const void* srcHost, size_t ByteCount, void* hStream);
CU_BINDING CUresult cuMemcpyDtoHAsync_v2(void* dstHost, uint64_t srcDevice, size_t ByteCount, void* hStream);
CU_BINDING CUresult cuMemsetD8_v2(uint64_t dstDevice, uint8_t uc, size_t N);
CU_BINDING CUresult cuMemsetD8Async(uint64_t dstDevice, uint8_t uc, size_t N, void* hStream);

/* ---- streams and events ----------------------------------------------------------------------- */
CU_BINDING CUresult cuStreamCreate(void** phStream, unsigned int Flags);
CU_BINDING CUresult cuStreamDestroy_v2(void* hStream);
CU_BINDING CUresult cuStreamSynchronize(void* hStream);
/* CUDA_SUCCESS when the stream's work is done, CUDA_ERROR_NOT_READY while it runs: lets a wait poll other errors. */
CU_BINDING CUresult cuStreamQuery(void* hStream);
CU_BINDING CUresult cuEventCreate(void** phEvent, unsigned int Flags);
CU_BINDING CUresult cuEventDestroy_v2(void* hEvent);
CU_BINDING CUresult cuEventRecord(void* hEvent, void* hStream);
CU_BINDING CUresult cuEventSynchronize(void* hEvent);
CU_BINDING CUresult cuEventElapsedTime(float* pMilliseconds, void* hStart, void* hEnd);

/* ---- modules, functions, launch --------------------------------------------------------------- */
CU_BINDING CUresult cuModuleLoadData(void** module, const void* image);
CU_BINDING CUresult cuModuleUnload(void* hmod);
CU_BINDING CUresult cuModuleGetFunction(void** hfunc, void* hmod, const char* name);
CU_BINDING CUresult cuFuncGetAttribute(int* pi, CUfunction_attribute attrib, void* hfunc);
CU_BINDING CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, void* func, int blockSize,
                                                                 size_t dynamicSMemSize);
CU_BINDING CUresult cuLaunchKernel(void* f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                                   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                                   unsigned int sharedMemBytes, void* hStream, void** kernelParams, void** extra);

/* ---- peers ------------------------------------------------------------------------------------ */
CU_BINDING CUresult cuDeviceCanAccessPeer(int* canAccessPeer, int dev, int peerDev);
CU_BINDING CUresult cuCtxEnablePeerAccess(void* peerContext, unsigned int Flags);
/* IPC: export an allocation of this process, map one of another process (Flags 1: lazy peer access). */
CU_BINDING CUresult cuIpcGetMemHandle(CUipcMemHandle* pHandle, uint64_t dptr);
CU_BINDING CUresult cuIpcOpenMemHandle_v2(uint64_t* pdptr, CUipcMemHandle handle, unsigned int Flags);
CU_BINDING CUresult cuIpcCloseMemHandle(uint64_t dptr);

#endif /* KERNELS_BINDINGS_CUDA_DRIVER_H */
