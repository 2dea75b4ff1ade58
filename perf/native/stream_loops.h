// stream_loops.h — STREAM copy and triad over one thread's slice, plain C++ loops that the compiler
// vectorises for whatever -m flags the including source has (so the limit uses the same vector
// width the kernels dispatch to). Bytes follow STREAM's convention: copy 2 x 4 per element, triad
// 3 x 4, no write-allocate traffic — the same convention the kernel figures use.
#pragma once
#include <stddef.h>

namespace kp {
// Internal linkage: each ISA source gets its own copy, built with its own flags.
namespace {

__attribute__((noinline)) void stream_copy_slice(float* __restrict dst, const float* __restrict src, size_t count) {
  for (size_t i = 0; i < count; ++i) dst[i] = src[i];
}

__attribute__((noinline)) void stream_triad_slice(float* __restrict a, const float* __restrict b, const float* __restrict c,
                                                  float scalar, size_t count) {
  for (size_t i = 0; i < count; ++i) a[i] = b[i] + scalar * c[i];
}

}  // namespace
}  // namespace kp
