// kn_flash_attention_backward_dkdv / _dq: FlashAttention-2 backward on CPU in two passes that each
// own their outputs, so no two threads ever add into one element and the accumulation order is
// fixed (see kernels.h). Both passes recompute S and P = exp(s - lse) tile by tile, then
// dP = dO V^T and dS = P * (dP - D) with D = rowsum(dO * O) (times 1 - tanh^2 under a softcap).
// The price of determinism without atomics: S, P and dP are computed twice (once per pass).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "attention/flash_backward.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "attention/attention_mask.h"
#include "attention/attention_params.h"
#include "attention/attention_workspace.h"
#include "attention/score_rows-inl.h"
#include "attention/tile_gemm-inl.h"
#include "attention/tile_rows-inl.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Loads a query tile's Q, dO, lse and D = rowsum(dO * O) into the workspace.
template <class S, class DF>
HWY_INLINE void LoadQueryTile(DF df, const BackwardParams& bp, const AttentionWorkspace& w,
                              size_t batch, size_t head, size_t first, size_t rows) {
  const AttentionProblem& p = bp.problem;
  const size_t dv_pad = PaddedDim(p.value_head_dim);
  LoadTile<S>(df, bp.q, p.q, batch, first, rows, head, p.head_dim, w.q_rows);
  LoadTile<S>(df, bp.d_o, p.o, batch, first, rows, head, p.value_head_dim, w.do_rows);
  const auto* o_base = static_cast<const typename S::T*>(bp.o);
  for (size_t r = 0; r < rows; ++r) {
    w.row_max[r] = bp.lse[(batch * p.seq_q + first + r) * p.heads + head];
    LoadRow<S>(df, RowOf(o_base, p.o, batch, first + r, head), p.value_head_dim, dv_pad, w.o_row);
    auto sum = hn::Zero(df);
    for (size_t j = 0; j < dv_pad; j += hn::Lanes(df)) {
      sum = hn::MulAdd(hn::LoadU(df, w.do_rows + r * dv_pad + j), hn::LoadU(df, w.o_row + j), sum);
    }
    w.row_sum[r] = hn::GetLane(hn::SumOfLanes(df, sum));
  }
}

// Loads a key tile as K rows and V rows only (the dq pass's transposed layout needs no more).
template <class S, class DF>
HWY_INLINE void LoadKeyRows(DF df, const BackwardParams& bp, const AttentionWorkspace& w,
                            size_t batch, size_t kv_head, size_t key0, size_t cols) {
  const AttentionProblem& p = bp.problem;
  LoadTile<S>(df, bp.k, p.k, batch, key0, cols, kv_head, p.head_dim, w.k_rows);
  LoadTile<S>(df, bp.v, p.v, batch, key0, cols, kv_head, p.value_head_dim, w.v_rows);
}

// Loads a key tile as K rows, K^T and V^T.
template <class S, class DF>
HWY_INLINE void LoadKeyTile(DF df, const BackwardParams& bp, const AttentionWorkspace& w,
                            size_t batch, size_t kv_head, size_t key0, size_t cols) {
  const AttentionProblem& p = bp.problem;
  LoadTile<S>(df, bp.k, p.k, batch, key0, cols, kv_head, p.head_dim, w.k_rows);
  TransposeTile(w.k_rows, PaddedDim(p.head_dim), p.head_dim, w.k_cols);
  LoadTile<S>(df, bp.v, p.v, batch, key0, cols, kv_head, p.value_head_dim, w.v_rows);
  TransposeTile(w.v_rows, PaddedDim(p.value_head_dim), p.value_head_dim, w.v_cols);
}

// With a query tile and a key tile loaded: scores = P (rows, B) and dscores = dS (rows, B), both
// 0 where masked.
template <class DF>
HWY_INLINE void ScoreGradients(DF df, const AttentionProblem& p, const AttentionWorkspace& w,
                               size_t first, size_t rows, size_t key0, size_t cols) {
  constexpr size_t B = kAttentionBlock;
  const size_t d_pad = PaddedDim(p.head_dim), dv_pad = PaddedDim(p.value_head_dim);
  const AttentionMask mask(p);
  const ScoreTransform transform(p);
  const bool capped = p.softcap > 0.0f;
  TileGemm<false>(df, rows, B, p.head_dim, StridedMatrix{w.q_rows, d_pad, 1}, w.k_cols, B, w.scores,
                  B);
  TileGemm<false>(df, rows, B, p.value_head_dim, StridedMatrix{w.do_rows, dv_pad, 1}, w.v_cols, B,
                  w.dscores, B);
  const bool unmasked = cols == B && mask.CoversAll(static_cast<int64_t>(first),
                                                    static_cast<int64_t>(rows),
                                                    static_cast<int64_t>(key0), B);
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < rows; ++r) {
    float* s = w.scores + r * B;
    float* ds = w.dscores + r * B;
    float* g = capped ? w.cap_grad + r * B : nullptr;
    const float lse = w.row_max[r];
    TransformRow(df, transform, s, g, static_cast<int64_t>(key0),
                 mask.Row(static_cast<int64_t>(first + r)), unmasked, [](size_t, hn::Vec<DF>) {});
    if (lse == -std::numeric_limits<float>::infinity()) {  // the row sees no key at all
      ZeroRow(df, s, B);
      ZeroRow(df, ds, B);
      continue;
    }
    ExpRow(df, s, lse);
    const auto delta = hn::Set(df, w.row_sum[r]);
    for (size_t j = 0; j < B; j += N) {
      auto d = hn::Mul(hn::LoadU(df, s + j), hn::Sub(hn::LoadU(df, ds + j), delta));
      if (capped) d = hn::Mul(d, hn::LoadU(df, g + j));
      hn::StoreU(d, df, ds + j);
    }
  }
}

// The dq pass's layout, transposed: keys as rows, queries as lanes. With Q^T and dO^T made once per
// query tile, no per-tile transpose of K or V is needed (as in the forward). Leaves
// scores = P^T (cols, B) and dscores = dS^T (cols, B), 0 where masked. Padded query lanes
// (>= rows) hold finite garbage that only reaches dQ rows never stored.
template <class DF>
HWY_INLINE void ScoreGradientsTransposed(DF df, const AttentionProblem& p,
                                         const AttentionWorkspace& w, size_t first, size_t rows,
                                         size_t key0, size_t cols) {
  constexpr size_t B = kAttentionBlock;
  const size_t N = hn::Lanes(df);
  const size_t d_pad = PaddedDim(p.head_dim), dv_pad = PaddedDim(p.value_head_dim);
  const AttentionMask mask(p);
  const ScoreTransform transform(p);
  const bool capped = p.softcap > 0.0f;
  TileGemm<false>(df, cols, B, p.head_dim, StridedMatrix{w.k_rows, d_pad, 1}, w.q_cols, B,
                  w.scores, B);
  TileGemm<false>(df, cols, B, p.value_head_dim, StridedMatrix{w.v_rows, dv_pad, 1}, w.do_cols, B,
                  w.dscores, B);
  const bool unmasked = mask.CoversAll(static_cast<int64_t>(first), static_cast<int64_t>(rows),
                                       static_cast<int64_t>(key0), static_cast<int64_t>(cols));
  for (size_t j = 0; j < cols; ++j) {
    float* s = w.scores + j * B;
    float* ds = w.dscores + j * B;
    float* g = capped ? w.cap_grad + j * B : nullptr;
    TransformRow(df, transform, s, g, static_cast<int64_t>(first),
                 mask.Queries(static_cast<int64_t>(key0 + j)), unmasked, [](size_t, hn::Vec<DF>) {});
    for (size_t i = 0; i < B; i += N) {
      // tile_shift holds lse with -inf (rows that see nothing) replaced by +inf: P = exp(-inf) = 0.
      const auto prob = hn::Exp(df, hn::Sub(hn::LoadU(df, s + i), hn::LoadU(df, w.tile_shift + i)));
      auto d = hn::Mul(prob, hn::Sub(hn::LoadU(df, ds + i), hn::LoadU(df, w.row_sum + i)));
      if (capped) d = hn::Mul(d, hn::LoadU(df, g + i));
      hn::StoreU(prob, df, s + i);
      hn::StoreU(d, df, ds + i);
    }
  }
}

template <class S>
HWY_NOINLINE void KeyValueGradientItem(const BackwardParams& bp, const AttentionWorkspace& w,
                                       size_t item) {
  const hn::ScalableTag<float> df;
  const AttentionProblem& p = bp.problem;
  constexpr size_t B = kAttentionBlock;
  const size_t k_tiles = (p.seq_k + B - 1) / B, q_tiles = (p.seq_q + B - 1) / B;
  const size_t batch = item / k_tiles / p.kv_heads, kv_head = item / k_tiles % p.kv_heads;
  const size_t key0 = item % k_tiles * B, cols = std::min(B, p.seq_k - key0);
  const size_t group = p.heads / p.kv_heads;
  const size_t d_pad = PaddedDim(p.head_dim), dv_pad = PaddedDim(p.value_head_dim);
  const AttentionMask mask(p);

  LoadKeyTile<S>(df, bp, w, batch, kv_head, key0, cols);
  for (size_t r = 0; r < B; ++r) {
    ZeroRow(df, w.acc_a + r * d_pad, d_pad);
    ZeroRow(df, w.acc_b + r * dv_pad, dv_pad);
  }
  for (size_t head = kv_head * group; head < (kv_head + 1) * group; ++head) {
    for (size_t t = 0; t < q_tiles; ++t) {
      const size_t first = t * B, rows = std::min(B, p.seq_q - first);
      const IndexRange seen = mask.Rows(static_cast<int64_t>(first), static_cast<int64_t>(rows));
      if (seen.end <= static_cast<int64_t>(key0) || seen.begin >= static_cast<int64_t>(key0 + cols)) {
        continue;  // no row of this tile sees this key tile
      }
      LoadQueryTile<S>(df, bp, w, batch, head, first, rows);
      ScoreGradients(df, p, w, first, rows, key0, cols);
      // dV += P^T dO and dK += dS^T Q: A is the transposed (rows, B) tile, depth = query rows.
      TileGemm<true>(df, cols, dv_pad, rows, StridedMatrix{w.scores, 1, B}, w.do_rows, dv_pad,
                     w.acc_b, dv_pad);
      TileGemm<true>(df, cols, d_pad, rows, StridedMatrix{w.dscores, 1, B}, w.q_rows, d_pad,
                     w.acc_a, d_pad);
    }
  }
  // dK carries the scale of s = scale * q.k (the softcap's factor is already in dS).
  StoreTile<S>(df, w.acc_a, p.scale, bp.dk, p.k, batch, key0, cols, kv_head, p.head_dim);
  StoreTile<S>(df, w.acc_b, 1.0f, bp.dv, p.v, batch, key0, cols, kv_head, p.value_head_dim);
}

template <class S>
HWY_NOINLINE void QueryGradientItem(const BackwardParams& bp, const AttentionWorkspace& w,
                                    size_t item) {
  const hn::ScalableTag<float> df;
  const AttentionProblem& p = bp.problem;
  constexpr size_t B = kAttentionBlock;
  const size_t q_tiles = (p.seq_q + B - 1) / B;
  const size_t batch = item / q_tiles / p.heads, head = item / q_tiles % p.heads;
  const size_t kv_head = head / (p.heads / p.kv_heads);
  const size_t first = item % q_tiles * B, rows = std::min(B, p.seq_q - first);
  const size_t d_pad = PaddedDim(p.head_dim);
  const AttentionMask mask(p);

  LoadQueryTile<S>(df, bp, w, batch, head, first, rows);
  TransposeTile(w.q_rows, d_pad, p.head_dim, w.q_cols);
  TransposeTile(w.do_rows, PaddedDim(p.value_head_dim), p.value_head_dim, w.do_cols);
  for (size_t r = 0; r < B; ++r) {
    const bool seen = r < rows && w.row_max[r] != -std::numeric_limits<float>::infinity();
    w.tile_shift[r] = seen ? w.row_max[r] : std::numeric_limits<float>::infinity();
    if (r >= rows) w.row_sum[r] = 0.0f;
  }
  for (size_t r = 0; r < rows; ++r) ZeroRow(df, w.acc_a + r * d_pad, d_pad);
  const IndexRange keys = mask.Rows(static_cast<int64_t>(first), static_cast<int64_t>(rows));
  const int64_t key_begin = std::max<int64_t>(0, keys.begin) / B * B;
  for (int64_t key0 = key_begin; key0 < keys.end; key0 += B) {
    const size_t cols = std::min<size_t>(B, p.seq_k - static_cast<size_t>(key0));
    LoadKeyRows<S>(df, bp, w, batch, kv_head, key0, cols);
    ScoreGradientsTransposed(df, p, w, first, rows, key0, cols);
    // dQ += dS K over the tile's real keys; dS = (dS^T)^T through A's strides.
    TileGemm<true>(df, rows, d_pad, cols, StridedMatrix{w.dscores, 1, B}, w.k_rows, d_pad, w.acc_a,
                   d_pad);
  }
  StoreTile<S>(df, w.acc_a, p.scale, bp.dq, p.q, batch, first, rows, head, p.head_dim);
}

template <class S, bool kKeyPass>
HWY_NOINLINE void BackwardItems(const BackwardParams& bp) {
  const AttentionWorkspace w =
      CarveAttentionWorkspace(bp.problem.workspace, bp.problem.head_dim, bp.problem.value_head_dim);
  for (size_t item = bp.item_begin; item < bp.item_begin + bp.item_count; ++item) {
    if (kKeyPass) {
      KeyValueGradientItem<S>(bp, w, item);
    } else {
      QueryGradientItem<S>(bp, w, item);
    }
  }
}

// Arguments are validated by the entry points; dtype is a known value here.
void FlashBackwardKeyValue(const BackwardParams& bp) {
  switch (bp.problem.dtype) {
    case KN_F32: return BackwardItems<F32Storage, true>(bp);
    case KN_F16: return BackwardItems<F16Storage, true>(bp);
    case KN_BF16: return BackwardItems<BF16Storage, true>(bp);
  }
}

void FlashBackwardQuery(const BackwardParams& bp) {
  switch (bp.problem.dtype) {
    case KN_F32: return BackwardItems<F32Storage, false>(bp);
    case KN_F16: return BackwardItems<F16Storage, false>(bp);
    case KN_BF16: return BackwardItems<BF16Storage, false>(bp);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "attention/attention_arguments.h"

namespace kn {
HWY_EXPORT(FlashBackwardKeyValue);
HWY_EXPORT(FlashBackwardQuery);

namespace {
// Both passes read the same forward tensors over a range of items; only the gradients differ.
void SetForwardTensors(BackwardParams& bp, const void* q, const void* k, const void* v, const void* o,
                       const float* lse, const void* d_o, size_t item_begin, size_t item_count) {
  bp.q = q;
  bp.k = k;
  bp.v = v;
  bp.o = o;
  bp.lse = lse;
  bp.d_o = d_o;
  bp.item_begin = item_begin;
  bp.item_count = item_count;
}
}  // namespace
}  // namespace kn

extern "C" KN_API kn_status kn_flash_attention_backward_dkdv(
    kn_dtype dtype, const void* q, const void* k, const void* v, const void* o, const float* lse,
    const void* d_o, void* dk, void* dv, size_t batch, size_t seq_q, size_t seq_k, size_t heads,
    size_t kv_heads, size_t head_dim, size_t value_head_dim, const int64_t* q_strides,
    const int64_t* k_strides, const int64_t* v_strides, const int64_t* o_strides, float scale,
    int32_t causal, int64_t window_left, int64_t window_right, float softcap, size_t item_begin,
    size_t item_count, void* workspace, size_t workspace_bytes) {
  static constexpr const char* kFn = "kn_flash_attention_backward_dkdv";
  kn::BackwardParams bp{};
  KN_CHECK_OK(kn::BuildAttentionProblem(
      kFn, dtype, batch, seq_q, seq_k, heads, kv_heads, head_dim, value_head_dim, q_strides,
      k_strides, v_strides, o_strides, scale, causal, window_left, window_right, softcap,
      workspace, workspace_bytes, &bp.problem));
  KN_CHECK_OK(kn::CheckItemRange(kFn, item_begin, item_count, kn::KeyItems(bp.problem)));
  if (item_count == 0) return KN_OK;
  // Empty tensors may come as null pointers (seq_k > 0 here, as there are items).
  KN_CHECK_ARG(k && v && dk && dv && (seq_q == 0 || (q && o && lse && d_o)),
               "%s: q, k, v, o, lse, d_o, dk and dv must not be null", kFn);
  kn::SetForwardTensors(bp, q, k, v, o, lse, d_o, item_begin, item_count);
  bp.dk = dk;
  bp.dv = dv;
  HWY_DYNAMIC_DISPATCH(kn::FlashBackwardKeyValue)(bp);
  return KN_OK;
}

extern "C" KN_API kn_status kn_flash_attention_backward_dq(
    kn_dtype dtype, const void* q, const void* k, const void* v, const void* o, const float* lse,
    const void* d_o, void* dq, size_t batch, size_t seq_q, size_t seq_k, size_t heads,
    size_t kv_heads, size_t head_dim, size_t value_head_dim, const int64_t* q_strides,
    const int64_t* k_strides, const int64_t* v_strides, const int64_t* o_strides, float scale,
    int32_t causal, int64_t window_left, int64_t window_right, float softcap, size_t item_begin,
    size_t item_count, void* workspace, size_t workspace_bytes) {
  static constexpr const char* kFn = "kn_flash_attention_backward_dq";
  kn::BackwardParams bp{};
  KN_CHECK_OK(kn::BuildAttentionProblem(
      kFn, dtype, batch, seq_q, seq_k, heads, kv_heads, head_dim, value_head_dim, q_strides,
      k_strides, v_strides, o_strides, scale, causal, window_left, window_right, softcap,
      workspace, workspace_bytes, &bp.problem));
  KN_CHECK_OK(kn::CheckItemRange(kFn, item_begin, item_count, kn::QueryItems(bp.problem)));
  if (item_count == 0) return KN_OK;
  // Empty tensors may come as null pointers (seq_q > 0 here, as there are items).
  KN_CHECK_ARG(q && o && lse && d_o && dq && (seq_k == 0 || (k && v)),
               "%s: q, k, v, o, lse, d_o and dq must not be null", kFn);
  kn::SetForwardTensors(bp, q, k, v, o, lse, d_o, item_begin, item_count);
  bp.dq = dq;
  HWY_DYNAMIC_DISPATCH(kn::FlashBackwardQuery)(bp);
  return KN_OK;
}
#endif  // HWY_ONCE
