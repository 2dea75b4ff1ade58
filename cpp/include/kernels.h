/* kernels.h — the whole public C ABI of libkernels.
 *
 * This header is the single source of the managed bindings: bindings/ parses it at build time and
 * emits the P/Invoke declarations. Keep every declaration on the shape the generator reads:
 *   KN_API <return type> kn_<name>(<type> <name>, ...);      (one declaration, may span lines)
 *   typedef enum kn_<name> { KN_<MEMBER> = <value>, ... } kn_<name>;
 * Types the generator maps: void, int32_t, int64_t, uint32_t, uint64_t, size_t, float, double,
 * const char*, void* / const void*, pointers to those scalars, and the kn_ enums below.
 *
 * Rules every kernel follows: it works on the range it is given, single-threaded, allocates
 * nothing, keeps no state, never throws across the ABI and returns a kn_status. On failure,
 * kn_last_error() returns a message for the calling thread (valid until that thread's next call).
 * Reduced-precision types are storage only: arithmetic and accumulation are fp32.
 */
#ifndef KERNELS_H
#define KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define KN_API __declspec(dllexport)
#else
#define KN_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version = major * 10000 + minor * 100 + patch. The managed loader refuses another major. */
#define KN_VERSION_MAJOR 0
#define KN_VERSION_MINOR 1
#define KN_VERSION_PATCH 0

typedef enum kn_status {
  KN_OK = 0,
  KN_INVALID_ARGUMENT = 1, /* a null pointer, bad size or unknown enum value */
  KN_UNSUPPORTED = 2,      /* a valid request this build cannot serve (e.g. a target the CPU lacks) */
  KN_INTERNAL_ERROR = 3,
} kn_status;

typedef enum kn_dtype {
  KN_F32 = 0,
  KN_F16 = 1,  /* IEEE binary16 */
  KN_BF16 = 2, /* bfloat16: the upper half of an fp32; conversion rounds to nearest even, NaN stays NaN */
} kn_dtype;

typedef enum kn_reduce_op {
  KN_OP_SUM = 0,
  KN_OP_MAX = 1, /* NaN in either operand gives NaN */
  KN_OP_MIN = 2, /* NaN in either operand gives NaN */
} kn_reduce_op;

/* ---- library ---------------------------------------------------------------------------- */

KN_API int32_t kn_version(void);
KN_API const char* kn_last_error(void);

/* ---- SIMD dispatch (Highway target bits, HWY_AVX2 etc.) ------------------------------------ */

/* Targets compiled into this library. */
KN_API int64_t kn_compiled_targets(void);
/* Compiled targets this CPU can run (not affected by kn_restrict_targets). */
KN_API int64_t kn_supported_targets(void);
/* The target kernels dispatch to now. */
KN_API int64_t kn_active_target(void);
/* Name of one target bit ("AVX2", "SSE4", ...); never null. */
KN_API const char* kn_target_name(int64_t target);
/* Restricts dispatch to targets (a mask of target bits) for every thread; 0 restores the CPU's best.
 * KN_UNSUPPORTED when the mask holds no target this CPU supports. Not thread-safe against
 * concurrently running kernels: meant for tests and benchmarks. */
KN_API kn_status kn_restrict_targets(int64_t targets);

/* ---- reduce ------------------------------------------------------------------------------ */

/* dst[i] = op(a[i], b[i]) * scale. dst may alias a or b exactly. */
KN_API kn_status kn_reduce(kn_dtype dtype, kn_reduce_op op, const void* a, const void* b, void* dst,
                           size_t count, float scale);
/* dst[i] = op(dst[i], src[i]) * scale. */
KN_API kn_status kn_reduce_accumulate(kn_dtype dtype, kn_reduce_op op, void* dst, const void* src,
                                      size_t count, float scale);

/* ---- convert ----------------------------------------------------------------------------- */

/* dst[i] = (dst_type)(src[i] * scale), rounding to nearest even. The multiply is skipped when
 * scale == 1, so a same-type convert with scale 1 is an exact copy. dst may alias src only when
 * both types have the same size. */
KN_API kn_status kn_convert(kn_dtype src_type, const void* src, kn_dtype dst_type, void* dst,
                            size_t count, float scale);

/* ---- norm -------------------------------------------------------------------------------- */

/* Per row of x (rows, cols): y = x / sqrt(mean(x^2) + eps) * weight.  weight: (cols).
 * y may alias x exactly. */
KN_API kn_status kn_rms_norm(kn_dtype dtype, const void* x, const void* weight, void* y, size_t rows,
                             size_t cols, float eps);
/* Per row: residual = x + residual (rounded to dtype, written back), y = RMSNorm(residual) * weight.
 * x, residual, y: (rows, cols); weight: (cols). y may alias x exactly. */
KN_API kn_status kn_add_rms_norm(kn_dtype dtype, const void* x, void* residual, const void* weight,
                                 void* y, size_t rows, size_t cols, float eps);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_H */
