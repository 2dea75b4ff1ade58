// Moving attention tiles between strided [batch, seq, heads, dim] storage (f32 / f16 / bf16) and
// the fp32 workspace: rows padded with zeros to a multiple of 64 floats, and transposed copies.
//
// Included once per target by foreach_target.h, hence the toggle guard instead of #pragma once.
#if defined(KN_ATTENTION_TILE_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KN_ATTENTION_TILE_ROWS_INL_H_
#undef KN_ATTENTION_TILE_ROWS_INL_H_
#else
#define KN_ATTENTION_TILE_ROWS_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "attention/attention_params.h"
#include "attention/attention_workspace.h"
#include "hwy/highway.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Row `row` of head `head` in batch `batch` of a [batch, seq, heads, dim] tensor.
template <typename T>
HWY_INLINE T* RowOf(T* base, const TensorStrides& s, size_t batch, size_t row, size_t head) {
  return base + static_cast<int64_t>(batch) * s.batch + static_cast<int64_t>(row) * s.seq +
         static_cast<int64_t>(head) * s.head;
}

// dst[0, dim) = src converted to fp32, dst[dim, padded) = 0.
template <class S, class DF>
HWY_INLINE void LoadRow(DF df, const typename S::T* src, size_t dim, size_t padded, float* dst) {
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= dim; i += N) hn::StoreU(S::Load(df, src + i), df, dst + i);
  if (i < dim) {
    TailBuffer<S> tail(src + i, dim - i);
    hn::StoreU(S::Load(df, tail.data()), df, dst + i);
    i += N;
  }
  for (; i < padded; i += N) hn::StoreU(hn::Zero(df), df, dst + i);
}

// dst[0, dim) = src * factor, rounded to the storage type.
template <class S, class DF>
HWY_INLINE void StoreRow(DF df, const float* src, float factor, size_t dim, typename S::T* dst) {
  const size_t N = hn::Lanes(df);
  const auto f = hn::Set(df, factor);
  size_t i = 0;
  for (; i + N <= dim; i += N) S::Store(df, hn::Mul(hn::LoadU(df, src + i), f), dst + i);
  if (i < dim) {
    TailBuffer<S> tail(nullptr, dim - i);
    S::Store(df, hn::Mul(hn::LoadU(df, src + i), f), tail.data());
    tail.CopyTo(dst + i);
  }
}

// `rows` rows of one head into a (kAttentionBlock, padded) fp32 tile; rows past `rows` become 0.
template <class S, class DF>
HWY_INLINE void LoadTile(DF df, const void* base, const TensorStrides& s, size_t batch, size_t first,
                         size_t rows, size_t head, size_t dim, float* tile) {
  const size_t padded = PaddedDim(dim);
  const auto* typed = static_cast<const typename S::T*>(base);
  for (size_t r = 0; r < rows; ++r) {
    LoadRow<S>(df, RowOf(typed, s, batch, first + r, head), dim, padded, tile + r * padded);
  }
  for (size_t r = rows; r < kAttentionBlock; ++r) {
    for (size_t i = 0; i < padded; i += hn::Lanes(df)) hn::StoreU(hn::Zero(df), df, tile + r * padded + i);
  }
}

// `rows` rows of a (rows, padded) fp32 tile, times factor, into one head of storage.
template <class S, class DF>
HWY_INLINE void StoreTile(DF df, const float* tile, float factor, void* base, const TensorStrides& s,
                          size_t batch, size_t first, size_t rows, size_t head, size_t dim) {
  const size_t padded = PaddedDim(dim);
  auto* typed = static_cast<typename S::T*>(base);
  for (size_t r = 0; r < rows; ++r) {
    StoreRow<S>(df, tile + r * padded, factor, dim, RowOf(typed, s, batch, first + r, head));
  }
}

// cols (dim, kAttentionBlock) = rows (kAttentionBlock, padded)^T, over the first `dim` columns.
// Scalar 8 x 8 blocks. Only done once per work item (Q^T, dO^T; K^T and V^T in the dK/dV pass),
// never per pair of tiles: a per-tile K transpose cost ~25% of the forward at d = 128.
HWY_INLINE void TransposeTile(const float* HWY_RESTRICT rows, size_t padded, size_t dim,
                              float* HWY_RESTRICT cols) {
  constexpr size_t B = kAttentionBlock;
  for (size_t d0 = 0; d0 < dim; d0 += 8) {
    const size_t dn = dim - d0 < 8 ? dim - d0 : 8;
    for (size_t j0 = 0; j0 < B; j0 += 8) {
      for (size_t d = 0; d < dn; ++d) {
        for (size_t j = 0; j < 8; ++j) cols[(d0 + d) * B + j0 + j] = rows[(j0 + j) * padded + d0 + d];
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#endif  // KN_ATTENTION_TILE_ROWS_INL_H_
