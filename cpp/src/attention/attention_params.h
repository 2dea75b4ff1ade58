// Parameters of the FlashAttention kernels (forward, backward) and of the (O, lse) merge.
#ifndef KN_ATTENTION_ATTENTION_PARAMS_H_
#define KN_ATTENTION_ATTENTION_PARAMS_H_

#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace kn {

// Query rows per forward / dQ work item and keys per dK/dV work item. Fixed on every target so the
// work-item numbering (and with it the accumulation order) does not depend on the SIMD target.
// Tuning: 64 x 64 tiles keep the whole workspace of d = 128 (Q, K, V, their transposes, S, dS and
// the accumulators) in 370 KiB of L2, and the work items fine enough to balance causal rows over
// cores; larger tiles were not tried. The forward is compute-bound at this size: one thread ran
// d = 128 at 180 GFLOP/s for seq 512, 1024 and 4096 alike, and prefetching the next K/V tile into
// L2 (prefetcht1, one per line) changed nothing (90 vs 90 ms, alternating runs), so it is not done.
// Retested once K and contiguous V were read in place (one thread, % of the core's FMA peak in
// thread CPU time): prefetching the next packed V tile at 4 heads, seq 4096: 62-70% vs 61-64%
// without; 16 heads, seq 1024: 69-72% either way. Too close to the noise to carry the code.
inline constexpr size_t kAttentionBlock = 64;

// A forward query tile of at most this many rows puts keys, not queries, on the SIMD lanes (see
// forward_short_rows-inl.h), so its cost is per real row. Tuning (AVX3, d = 128, 4096 keys, 8 heads,
// one thread, CPU ms, short-rows path vs queries-on-lanes path): 9 rows 3.5 vs 5.5, 16 rows 4.4 vs
// 5.8, 32 rows 6.0 vs 6.3 (8 rows: 3.1-3.5 ms); 32 is the largest count measured.
inline constexpr size_t kShortQueryRows = 32;

// Strides in elements of a [batch, seq, heads, dim] tensor; dim is contiguous.
struct TensorStrides {
  int64_t batch;
  int64_t seq;
  int64_t head;
};

// Everything both directions share. Scores are s = scale * q.k, or cap * tanh(scale * q.k / cap)
// with a softcap; softmax over the keys the mask leaves visible.
struct AttentionProblem {
  kn_dtype dtype;
  size_t batch;
  size_t seq_q;
  size_t seq_k;
  size_t heads;            // query heads
  size_t kv_heads;         // heads divides by kv_heads; query head h reads kv head h / (heads / kv_heads)
  size_t head_dim;         // of q and k, 1..256
  size_t value_head_dim;   // of v and o, 1..256
  TensorStrides q, k, v, o;  // q: (batch, seq_q, heads, head_dim), k: (batch, seq_k, kv_heads, head_dim),
                             // v: (batch, seq_k, kv_heads, value_head_dim), o: (batch, seq_q, heads, value_head_dim)
  float scale;
  float softcap;           // 0 = none
  bool causal;             // bottom-right aligned: query i sees keys j <= i + seq_k - seq_q
  int64_t window_left;     // -1 = unlimited; else query i sees keys j >= i + seq_k - seq_q - window_left
  int64_t window_right;    // -1 = unlimited; else keys j <= i + seq_k - seq_q + window_right
  void* workspace;         // kn_flash_attention_workspace_size bytes, 64-byte aligned, one per thread
};

struct ForwardParams {
  AttentionProblem problem;
  const void* q;
  const void* k;
  const void* v;
  void* o;
  float* lse;          // (batch, seq_q, heads), natural log; -inf for a row that sees no key
  // 0: o is the final output in dtype. n >= 1 (split-KV): o is float (n, batch, seq_q, heads,
  // value_head_dim) and lse (n, batch, seq_q, heads), plane s over the s-th of n key-tile ranges.
  size_t key_splits;
  size_t item_begin;   // work items: (batch * heads) x ceil(seq_q / kAttentionBlock), query tile
  size_t item_count;   // fastest; times key_splits (split fastest) when key_splits >= 1
};

// Gradients share the layout (strides) of their tensor: dq of q, dk of k, dv of v, d_o of o.
struct BackwardParams {
  AttentionProblem problem;
  const void* q;
  const void* k;
  const void* v;
  const void* o;
  const float* lse;
  const void* d_o;
  void* dq;            // dq pass only
  void* dk;            // dk/dv pass only
  void* dv;            // dk/dv pass only
  size_t item_begin;   // dq: as forward; dk/dv: (batch * kv_heads) x ceil(seq_k / kAttentionBlock)
  size_t item_count;
};

// (o, lse) = merge((o_a, lse_a), (o_b, lse_b)) row by row.
struct MergeParams {
  kn_dtype dtype;
  const void* o_a;     // (rows, value_dim)
  const float* lse_a;  // (rows)
  const void* o_b;
  const float* lse_b;
  void* o;             // may alias o_a or o_b exactly
  float* lse;          // may alias lse_a or lse_b exactly
  size_t rows;
  size_t value_dim;
};

}  // namespace kn

#endif  // KN_ATTENTION_ATTENTION_PARAMS_H_
