// The per-thread fp32 scratch of the attention kernels, carved from one caller-owned block (kernels
// allocate nothing). Row widths are padded to 64 floats: a multiple of every target's micro-tile
// width, and of the cache line.
#ifndef KN_ATTENTION_ATTENTION_WORKSPACE_H_
#define KN_ATTENTION_ATTENTION_WORKSPACE_H_

#include <cstddef>

#include "attention/attention_params.h"

namespace kn {

inline constexpr size_t kAttentionPad = 64;

inline size_t PaddedDim(size_t dim) { return (dim + kAttentionPad - 1) / kAttentionPad * kAttentionPad; }

// B = kAttentionBlock, d = padded head_dim, dv = padded value_head_dim.
struct AttentionWorkspace {
  float* q_rows;     // (B, d)   query tile
  float* q_cols;     // (d, B)   query tile transposed: B operand of S^T = K Q^T (forward)
  float* do_rows;    // (B, dv)  output-gradient tile (backward)
  float* do_cols;    // (dv, B)  output-gradient tile transposed (backward dq pass)
  float* o_row;      // (dv)     one output row being read or written
  float* row_max;    // (B)      forward running max; backward lse
  float* row_sum;    // (B)      forward running sum; backward D = rowsum(dO * O)
  float* tile_max;   // (B)      forward: per query, the key tile's max, then the O rescale factor
  float* tile_shift; // (B)      per query, the exponent shift of the key tile (backward: lse)
  float* tile_sum;   // (B)      forward: per query, the key tile's sum of P
  float* k_rows;     // (B, d)   key tile (the query-lanes forward reads f32 K in place)
  float* k_cols;     // (d, B)   key tile transposed: the micro-kernel's B operand for S = Q K^T
  float* v_rows;     // (B, dv)  value tile (... and contiguous f32 V)
  float* v_cols;     // (dv, B)  value tile transposed, for dP = dO V^T (backward)
  float* scores;     // (B, B)   S, then P
  float* dscores;    // (B, B)   dP, then dS (backward)
  float* cap_grad;   // (B, B)   1 - tanh^2 of the softcap (backward)
  float* acc_a;      // (B, max(d, dv)) forward O; backward dK or dQ
  float* acc_b;      // (B, dv)  backward dV
};

inline size_t AttentionWorkspaceFloats(size_t head_dim, size_t value_head_dim) {
  const size_t b = kAttentionBlock, d = PaddedDim(head_dim), dv = PaddedDim(value_head_dim);
  const size_t wide = d > dv ? d : dv;
  return 2 * b * d + 2 * b * dv + dv + 5 * b + b * d + d * b + b * dv + dv * b + 3 * b * b + b * wide +
         b * dv;
}

inline AttentionWorkspace CarveAttentionWorkspace(void* base, size_t head_dim, size_t value_head_dim) {
  const size_t b = kAttentionBlock, d = PaddedDim(head_dim), dv = PaddedDim(value_head_dim);
  const size_t wide = d > dv ? d : dv;
  float* next = static_cast<float*>(base);
  auto take = [&next](size_t n) {
    float* p = next;
    next += n;
    return p;
  };
  AttentionWorkspace w;
  w.q_rows = take(b * d);
  w.q_cols = take(d * b);
  w.do_rows = take(b * dv);
  w.do_cols = take(dv * b);
  w.o_row = take(dv);
  w.row_max = take(b);
  w.row_sum = take(b);
  w.tile_max = take(b);
  w.tile_shift = take(b);
  w.tile_sum = take(b);
  w.k_rows = take(b * d);
  w.k_cols = take(d * b);
  w.v_rows = take(b * dv);
  w.v_cols = take(dv * b);
  w.scores = take(b * b);
  w.dscores = take(b * b);
  w.cap_grad = take(b * b);
  w.acc_a = take(b * wide);
  w.acc_b = take(b * dv);
  return w;
}

}  // namespace kn

#endif  // KN_ATTENTION_ATTENTION_WORKSPACE_H_
