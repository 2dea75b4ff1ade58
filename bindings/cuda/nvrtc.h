/* nvrtc.h (curated) — the subset of NVIDIA's NVRTC API that Kernels.Cuda uses, in the shape the
 * bindings generator reads. Signatures follow the real nvrtc.h (CUDA 11.2 and later); the opaque
 * nvrtcProgram handle is spelled void*. Loaded at run time as libnvrtc.so.13, .12 or .11.2
 * (managed/Kernels/Interop/NativeLibraryLocator.cs); never linked.
 */
// bindings: library=nvrtc namespace=Kernels.Cuda.Interop class=NvrtcMethods constants=NvrtcConstants prefix=nvrtc api=NVRTC_BINDING
#ifndef KERNELS_BINDINGS_NVRTC_H
#define KERNELS_BINDINGS_NVRTC_H

#include <stddef.h>

#define NVRTC_BINDING

typedef enum nvrtcResult {
  NVRTC_SUCCESS = 0,
  NVRTC_ERROR_OUT_OF_MEMORY = 1,
  NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
  NVRTC_ERROR_INVALID_INPUT = 3,
  NVRTC_ERROR_INVALID_PROGRAM = 4,
  NVRTC_ERROR_INVALID_OPTION = 5,
  NVRTC_ERROR_COMPILATION = 6,
  NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
  NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
  NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
  NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
  NVRTC_ERROR_INTERNAL_ERROR = 11,
} nvrtcResult;

NVRTC_BINDING const char* nvrtcGetErrorString(nvrtcResult result);
NVRTC_BINDING nvrtcResult nvrtcVersion(int* major, int* minor);

NVRTC_BINDING nvrtcResult nvrtcCreateProgram(void** prog, const char* src, const char* name, int numHeaders,
                                             const char** headers, const char** includeNames);
NVRTC_BINDING nvrtcResult nvrtcDestroyProgram(void** prog);
/* Name expressions (template instantiations such as "kn::f<kn::T>") are added before compiling;
 * their lowered (mangled) names are read after. */
NVRTC_BINDING nvrtcResult nvrtcAddNameExpression(void* prog, const char* name_expression);
NVRTC_BINDING nvrtcResult nvrtcCompileProgram(void* prog, int numOptions, const char** options);
NVRTC_BINDING nvrtcResult nvrtcGetLoweredName(void* prog, const char* name_expression, const char** lowered_name);

NVRTC_BINDING nvrtcResult nvrtcGetProgramLogSize(void* prog, size_t* logSizeRet);
NVRTC_BINDING nvrtcResult nvrtcGetProgramLog(void* prog, char* log);
/* PTX: compiled for a virtual architecture (compute_XX). CUBIN: for a real one (sm_XX) only. */
NVRTC_BINDING nvrtcResult nvrtcGetPTXSize(void* prog, size_t* ptxSizeRet);
NVRTC_BINDING nvrtcResult nvrtcGetPTX(void* prog, char* ptx);
NVRTC_BINDING nvrtcResult nvrtcGetCUBINSize(void* prog, size_t* cubinSizeRet);
NVRTC_BINDING nvrtcResult nvrtcGetCUBIN(void* prog, char* cubin);

#endif /* KERNELS_BINDINGS_NVRTC_H */
