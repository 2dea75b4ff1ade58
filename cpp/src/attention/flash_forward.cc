// kn_flash_attention_forward: FlashAttention-2 forward on CPU. Per work item (batch, head, tile of
// 64 query rows) the K/V tiles the mask leaves visible stream past an fp32 O accumulator with an
// online softmax; O and the natural-log log-sum-exp are written once at the end.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "attention/flash_forward.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include <type_traits>

#include "attention/attention_mask.h"
#include "attention/attention_params.h"
#include "attention/attention_workspace.h"
#include "attention/forward_short_rows-inl.h"
#include "attention/score_rows-inl.h"
#include "attention/tile_gemm-inl.h"
#include "attention/tile_rows-inl.h"
#include "simd/float_storage-inl.h"

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Where the query-lanes step reads one key tile: K as the A operand of S^T = K Q^T (keys as rows)
// and V as the B operand of O += P V (rows of dv_pad floats, v_row apart).
struct KeyTile {
  StridedMatrix k;
  const float* v;
  size_t v_row;
};

// The key tile at key0 for the query-lanes step. f32 K is read in place through its strides: it is
// read once per tile anyway, and the copy into the workspace was ~20% of the forward's perf samples
// (d = 128, AVX3). f32 V is read in place when its rows are contiguous (one kv head, or a head-major
// layout) and a whole number of 64-float micro-tile widths; O += P V reads each V row 2 x 16 times,
// and rows a head-interleaved stride apart fall into few L1 sets, so those are packed: in place,
// 4 heads at seq 4096 ran no faster than packed (~58% of one core's FMA peak either way), while
// contiguous rows went from ~65% to ~77%. Other storage types are converted and zero-padded.
template <class S, class DF>
HWY_INLINE KeyTile LoadKeyTile(DF df, const ForwardParams& fp, const AttentionWorkspace& w,
                               size_t batch, size_t kv_head, int64_t key0, size_t cols) {
  const AttentionProblem& p = fp.problem;
  const size_t d = p.head_dim, dv = p.value_head_dim;
  const size_t d_pad = PaddedDim(d), dv_pad = PaddedDim(dv);
  KeyTile tile{StridedMatrix{w.k_rows, d_pad, 1}, w.v_rows, dv_pad};
  if constexpr (std::is_same_v<S, F32Storage>) {
    tile.k = StridedMatrix{RowOf(static_cast<const float*>(fp.k), p.k, batch, key0, kv_head),
                           static_cast<size_t>(p.k.seq), 1};
    if (dv == dv_pad && p.v.seq == static_cast<int64_t>(dv)) {
      tile.v = RowOf(static_cast<const float*>(fp.v), p.v, batch, key0, kv_head);
      tile.v_row = static_cast<size_t>(p.v.seq);
    } else {
      LoadTile<S>(df, fp.v, p.v, batch, key0, cols, kv_head, dv, w.v_rows);
    }
  } else {
    LoadTile<S>(df, fp.k, p.k, batch, key0, cols, kv_head, d, w.k_rows);
    LoadTile<S>(df, fp.v, p.v, batch, key0, cols, kv_head, dv, w.v_rows);
  }
  return tile;
}

// One key tile [key0, key0 + cols) for the query rows [first, first + rows) with queries on the
// lanes: online softmax per query lane (row_max, row_sum) and O (acc_a) += P V.
template <class DF>
HWY_INLINE void QueryLanesKeyTile(DF df, const AttentionProblem& p, const AttentionWorkspace& w,
                                  const KeyTile& tile, size_t first, size_t rows, int64_t key0,
                                  size_t cols) {
  constexpr size_t B = kAttentionBlock;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t N = hn::Lanes(df);
  const size_t dv_pad = PaddedDim(p.value_head_dim);
  const AttentionMask mask(p);
  const ScoreTransform transform(p);
  const auto neg_inf = hn::Set(df, kNegInf);
  // S^T = K Q^T (cols, B): keys as rows, queries as lanes, so neither K nor V is transposed per
  // tile (Q^T is made once per item) and the softmax statistics are plain vector ops. The
  // alternative, S = Q K^T, needs a d x 64 K transpose per tile: skipping that copy (wrong
  // results, timing only) ran ~25% faster at d = 128; this layout removes it.
  TileGemm<false>(df, cols, B, p.head_dim, tile.k, w.q_cols, B, w.scores, B);
  const bool unmasked = mask.CoversAll(static_cast<int64_t>(first), static_cast<int64_t>(rows),
                                       key0, static_cast<int64_t>(cols));
  for (size_t i = 0; i < B; i += N) hn::StoreU(neg_inf, df, w.tile_max + i);
  for (size_t j = 0; j < cols; ++j) {
    ScoreKeyRow(df, transform, w.scores + j * B, static_cast<int64_t>(first),
                mask.Queries(key0 + static_cast<int64_t>(j)), unmasked, w.tile_max);
  }
  // Online softmax per query lane: a query that has seen nothing yet keeps max -inf and shifts
  // by 0, so its P is exp(-inf) = 0 and its O and sum stay 0. tile_max becomes the O rescale.
  for (size_t i = 0; i < B; i += N) {
    const auto old_max = hn::LoadU(df, w.row_max + i);
    const auto new_max = hn::Max(old_max, hn::LoadU(df, w.tile_max + i));
    const auto shift = hn::IfThenZeroElse(hn::Eq(new_max, neg_inf), new_max);
    const auto rescale = hn::Exp(df, hn::Sub(old_max, shift));
    hn::StoreU(new_max, df, w.row_max + i);
    hn::StoreU(shift, df, w.tile_shift + i);
    hn::StoreU(rescale, df, w.tile_max + i);
    hn::StoreU(hn::Mul(hn::LoadU(df, w.row_sum + i), rescale), df, w.row_sum + i);
    hn::StoreU(hn::Zero(df), df, w.tile_sum + i);
  }
  for (size_t j = 0; j < cols; ++j) ExpKeyRow(df, w.scores + j * B, w.tile_shift, w.tile_sum);
  for (size_t i = 0; i < B; i += N) {
    hn::StoreU(hn::Add(hn::LoadU(df, w.row_sum + i), hn::LoadU(df, w.tile_sum + i)), df,
               w.row_sum + i);
  }
  for (size_t r = 0; r < rows; ++r) {
    const float rescale = w.tile_max[r];
    if (rescale == 1.0f) continue;
    float* o = w.acc_a + r * dv_pad;
    const auto f = hn::Set(df, rescale);
    for (size_t j = 0; j < dv_pad; j += N) hn::StoreU(hn::Mul(hn::LoadU(df, o + j), f), df, o + j);
  }
  // O += P V over the tile's real keys; P = (P^T)^T through A's strides.
  TileGemm<true>(df, rows, dv_pad, cols, StridedMatrix{w.scores, 1, B}, tile.v, tile.v_row, w.acc_a,
                 dv_pad);
}

// One query tile against the key tiles [tile_begin, tile_end) that its rows see. O goes to
// storage OutS (S for the final output, F32Storage for split-KV partials) with strides o_strides.
template <class S, class OutS>
HWY_NOINLINE void ForwardItem(const ForwardParams& fp, const AttentionWorkspace& w, size_t item,
                              size_t tile_begin, size_t tile_end, void* o_out,
                              const TensorStrides& o_strides, float* lse_out) {
  const hn::ScalableTag<float> df;
  const AttentionProblem& p = fp.problem;
  constexpr size_t B = kAttentionBlock;
  const size_t q_tiles = (p.seq_q + B - 1) / B;
  const size_t batch = item / q_tiles / p.heads, head = item / q_tiles % p.heads;
  const size_t kv_head = head / (p.heads / p.kv_heads);
  const size_t first = item % q_tiles * B, rows = std::min(B, p.seq_q - first);
  const size_t d = p.head_dim, dv = p.value_head_dim;
  const size_t d_pad = PaddedDim(d), dv_pad = PaddedDim(dv);
  const AttentionMask mask(p);
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();

  const size_t N = hn::Lanes(df);
  const auto neg_inf = hn::Set(df, kNegInf);
  LoadTile<S>(df, fp.q, p.q, batch, first, rows, head, d, w.q_rows);
  const bool short_rows = rows <= kShortQueryRows;
  if (!short_rows) TransposeTile(w.q_rows, d_pad, d, w.q_cols);
  for (size_t i = 0; i < B; i += N) {
    hn::StoreU(neg_inf, df, w.row_max + i);
    hn::StoreU(hn::Zero(df), df, w.row_sum + i);
  }
  for (size_t r = 0; r < rows; ++r) ZeroRow(df, w.acc_a + r * dv_pad, dv_pad);

  // Key tiles outside the rows' visible range are never loaded.
  const IndexRange keys = mask.Rows(static_cast<int64_t>(first), static_cast<int64_t>(rows));
  const int64_t key_begin =
      std::max<int64_t>(std::max<int64_t>(0, keys.begin) / B, static_cast<int64_t>(tile_begin)) * B;
  const int64_t key_end = std::min<int64_t>(keys.end, static_cast<int64_t>(tile_end * B));
  for (int64_t key0 = key_begin; key0 < key_end; key0 += B) {
    const size_t cols = std::min<size_t>(B, p.seq_k - static_cast<size_t>(key0));
    if (short_rows) {
      LoadTile<S>(df, fp.k, p.k, batch, key0, cols, kv_head, d, w.k_rows);
      LoadTile<S>(df, fp.v, p.v, batch, key0, cols, kv_head, dv, w.v_rows);
      ShortRowsKeyTile(df, p, w, first, rows, key0, cols);
    } else {
      const KeyTile tile = LoadKeyTile<S>(df, fp, w, batch, kv_head, key0, cols);
      QueryLanesKeyTile(df, p, w, tile, first, rows, key0, cols);
    }
  }

  auto* o_base = static_cast<typename OutS::T*>(o_out);
  for (size_t r = 0; r < rows; ++r) {
    const float sum = w.row_sum[r];
    // A row that sees no key: O = 0 (the accumulator is still 0) and lse = -inf.
    const float inverse = sum > 0.0f ? 1.0f / sum : 0.0f;
    StoreRow<OutS>(df, w.acc_a + r * dv_pad, inverse, dv,
                   RowOf(o_base, o_strides, batch, first + r, head));
    lse_out[((batch * p.seq_q) + first + r) * p.heads + head] =
        sum > 0.0f ? w.row_max[r] + std::log(sum) : kNegInf;
  }
}

template <class S>
HWY_NOINLINE void ForwardItems(const ForwardParams& fp) {
  const AttentionProblem& p = fp.problem;
  const AttentionWorkspace w = CarveAttentionWorkspace(p.workspace, p.head_dim, p.value_head_dim);
  const size_t k_tiles = (p.seq_k + kAttentionBlock - 1) / kAttentionBlock;
  if (fp.key_splits == 0) {
    for (size_t item = fp.item_begin; item < fp.item_begin + fp.item_count; ++item) {
      ForwardItem<S, S>(fp, w, item, 0, k_tiles, fp.o, p.o, fp.lse);
    }
    return;
  }
  // Split-KV: item = query item * key_splits + split; split s covers key tiles
  // [s * k_tiles / splits, (s + 1) * k_tiles / splits) and writes fp32 partials to plane s.
  const size_t rows = p.batch * p.seq_q * p.heads;
  const TensorStrides partial{static_cast<int64_t>(p.seq_q * p.heads * p.value_head_dim),
                              static_cast<int64_t>(p.heads * p.value_head_dim),
                              static_cast<int64_t>(p.value_head_dim)};
  for (size_t item = fp.item_begin; item < fp.item_begin + fp.item_count; ++item) {
    const size_t split = item % fp.key_splits;
    ForwardItem<S, F32Storage>(fp, w, item / fp.key_splits, split * k_tiles / fp.key_splits,
                               (split + 1) * k_tiles / fp.key_splits,
                               static_cast<float*>(fp.o) + split * rows * p.value_head_dim, partial,
                               fp.lse + split * rows);
  }
}

// Arguments are validated by kn_flash_attention_forward; dtype is a known value here.
void FlashForward(const ForwardParams& fp) {
  switch (fp.problem.dtype) {
    case KN_F32: return ForwardItems<F32Storage>(fp);
    case KN_F16: return ForwardItems<F16Storage>(fp);
    case KN_BF16: return ForwardItems<BF16Storage>(fp);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "attention/attention_arguments.h"

namespace kn {
HWY_EXPORT(FlashForward);
}  // namespace kn

extern "C" KN_API size_t kn_attention_block(void) { return kn::kAttentionBlock; }

extern "C" KN_API size_t kn_flash_attention_workspace_size(size_t head_dim, size_t value_head_dim) {
  return kn::AttentionWorkspaceFloats(head_dim, value_head_dim) * sizeof(float);
}

namespace {

kn_status Forward(const char* fn, kn_dtype dtype, const void* q, const void* k, const void* v,
                  void* o, float* lse, size_t batch, size_t seq_q, size_t seq_k, size_t heads,
                  size_t kv_heads, size_t head_dim, size_t value_head_dim,
                  const int64_t* q_strides, const int64_t* k_strides, const int64_t* v_strides,
                  const int64_t* o_strides, float scale, int32_t causal, int64_t window_left,
                  int64_t window_right, float softcap, size_t key_splits, size_t item_begin,
                  size_t item_count, void* workspace, size_t workspace_bytes) {
  kn::ForwardParams fp{};
  KN_CHECK_OK(kn::BuildAttentionProblem(
      fn, dtype, batch, seq_q, seq_k, heads, kv_heads, head_dim, value_head_dim, q_strides,
      k_strides, v_strides, o_strides, scale, causal, window_left, window_right, softcap,
      workspace, workspace_bytes, &fp.problem));
  const size_t items = kn::QueryItems(fp.problem) * (key_splits == 0 ? 1 : key_splits);
  KN_CHECK_OK(kn::CheckItemRange(fn, item_begin, item_count, items));
  if (item_count == 0) return KN_OK;
  // Empty tensors may come as null pointers (seq_q > 0 here, as there are items).
  KN_CHECK_ARG(q && o && lse && (seq_k == 0 || (k && v)), "%s: q, k, v, o and lse must not be null",
               fn);
  fp.q = q;
  fp.k = k;
  fp.v = v;
  fp.o = o;
  fp.lse = lse;
  fp.key_splits = key_splits;
  fp.item_begin = item_begin;
  fp.item_count = item_count;
  HWY_DYNAMIC_DISPATCH(kn::FlashForward)(fp);
  return KN_OK;
}

}  // namespace

extern "C" KN_API kn_status kn_flash_attention_forward(
    kn_dtype dtype, const void* q, const void* k, const void* v, void* o, float* lse, size_t batch,
    size_t seq_q, size_t seq_k, size_t heads, size_t kv_heads, size_t head_dim,
    size_t value_head_dim, const int64_t* q_strides, const int64_t* k_strides,
    const int64_t* v_strides, const int64_t* o_strides, float scale, int32_t causal,
    int64_t window_left, int64_t window_right, float softcap, size_t item_begin, size_t item_count,
    void* workspace, size_t workspace_bytes) {
  return Forward("kn_flash_attention_forward", dtype, q, k, v, o, lse, batch, seq_q, seq_k, heads,
                 kv_heads, head_dim, value_head_dim, q_strides, k_strides, v_strides, o_strides,
                 scale, causal, window_left, window_right, softcap, 0, item_begin, item_count,
                 workspace, workspace_bytes);
}

extern "C" KN_API kn_status kn_flash_attention_forward_split(
    kn_dtype dtype, const void* q, const void* k, const void* v, float* o_partial,
    float* lse_partial, size_t batch, size_t seq_q, size_t seq_k, size_t heads, size_t kv_heads,
    size_t head_dim, size_t value_head_dim, const int64_t* q_strides, const int64_t* k_strides,
    const int64_t* v_strides, float scale, int32_t causal, int64_t window_left,
    int64_t window_right, float softcap, size_t key_splits, size_t item_begin, size_t item_count,
    void* workspace, size_t workspace_bytes) {
  static constexpr const char* kFn = "kn_flash_attention_forward_split";
  KN_CHECK_ARG(key_splits >= 1, "%s: key_splits = %zu must be at least 1", kFn, key_splits);
  // The partial planes are contiguous; their strides are set by ForwardItems.
  const int64_t unused_o_strides[3] = {0, 0, 0};
  return Forward(kFn, dtype, q, k, v, o_partial, lse_partial, batch, seq_q, seq_k, heads, kv_heads,
                 head_dim, value_head_dim, q_strides, k_strides, v_strides, unused_o_strides,
                 scale, causal, window_left, window_right, softcap, key_splits, item_begin,
                 item_count, workspace, workspace_bytes);
}
#endif  // HWY_ONCE
