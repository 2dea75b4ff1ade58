// Byte copy with non-temporal stores, shared by kn_stream_copy and kn_add_rms_norm_publish.
// Included once per Highway target (toggle guard).
#if defined(KN_NORM_STREAM_COPY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_NORM_STREAM_COPY_INL_H_
#undef KN_NORM_STREAM_COPY_INL_H_
#else
#define KN_NORM_STREAM_COPY_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// dst = src over `bytes` bytes (no overlap). The unaligned head up to the first vector-aligned dst
// address and the tail use memcpy; the body streams whole vectors (Stream needs aligned dst). The
// caller issues hwy::FlushStream() before the data may be read by another thread.
HWY_INLINE void StreamCopyBytes(uint8_t* dst, const uint8_t* src, size_t bytes) {
  const hn::ScalableTag<uint8_t> d;
  const size_t N = hn::Lanes(d);
  const size_t misalign = reinterpret_cast<uintptr_t>(dst) % N;
  size_t i = misalign == 0 ? 0 : N - misalign;
  if (i > bytes) i = bytes;
  std::memcpy(dst, src, i);
  for (; i + 4 * N <= bytes; i += 4 * N) {
    const auto v0 = hn::LoadU(d, src + i);
    const auto v1 = hn::LoadU(d, src + i + N);
    const auto v2 = hn::LoadU(d, src + i + 2 * N);
    const auto v3 = hn::LoadU(d, src + i + 3 * N);
    hn::Stream(v0, d, dst + i);
    hn::Stream(v1, d, dst + i + N);
    hn::Stream(v2, d, dst + i + 2 * N);
    hn::Stream(v3, d, dst + i + 3 * N);
  }
  for (; i + N <= bytes; i += N) {
    hn::Stream(hn::LoadU(d, src + i), d, dst + i);
  }
  std::memcpy(dst + i, src + i, bytes - i);
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_NORM_STREAM_COPY_INL_H_
