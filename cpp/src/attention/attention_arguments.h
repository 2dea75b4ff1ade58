// Validation of the attention entry points' arguments into an AttentionProblem.
#ifndef KN_ATTENTION_ATTENTION_ARGUMENTS_H_
#define KN_ATTENTION_ATTENTION_ARGUMENTS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "attention/attention_params.h"
#include "attention/attention_workspace.h"
#include "core/arguments.h"

namespace kn {

inline constexpr size_t kMaxAttentionHeadDim = 256;
// Key and query indices are int32 lanes in the mask arithmetic.
inline constexpr size_t kMaxAttentionSeq = size_t{1} << 30;

inline kn_status CheckStrides(const char* fn, const char* name, const int64_t* strides,
                              TensorStrides* out) {
  KN_CHECK_ARG(strides != nullptr, "%s: %s (batch, seq, head strides) is null", fn, name);
  *out = TensorStrides{strides[0], strides[1], strides[2]};
  return KN_OK;
}

inline kn_status BuildAttentionProblem(const char* fn, kn_dtype dtype, size_t batch, size_t seq_q,
                                       size_t seq_k, size_t heads, size_t kv_heads, size_t head_dim,
                                       size_t value_head_dim, const int64_t* q_strides,
                                       const int64_t* k_strides, const int64_t* v_strides,
                                       const int64_t* o_strides, float scale, int32_t causal,
                                       int64_t window_left, int64_t window_right, float softcap,
                                       void* workspace, size_t workspace_bytes,
                                       AttentionProblem* p) {
  KN_CHECK_OK(CheckDtype(fn, "dtype", dtype));
  KN_CHECK_ARG(heads > 0 && kv_heads > 0 && heads % kv_heads == 0,
               "%s: heads = %zu must be a positive multiple of kv_heads = %zu", fn, heads, kv_heads);
  KN_CHECK_ARG(head_dim >= 1 && head_dim <= kMaxAttentionHeadDim, "%s: head_dim = %zu is not in 1..256",
               fn, head_dim);
  KN_CHECK_ARG(value_head_dim >= 1 && value_head_dim <= kMaxAttentionHeadDim,
               "%s: value_head_dim = %zu is not in 1..256", fn, value_head_dim);
  KN_CHECK_ARG(seq_q <= kMaxAttentionSeq && seq_k <= kMaxAttentionSeq,
               "%s: seq_q = %zu or seq_k = %zu exceeds 2^30", fn, seq_q, seq_k);
  KN_CHECK_ARG(batch <= kMaxAttentionSeq && heads <= kMaxAttentionSeq,
               "%s: batch = %zu or heads = %zu exceeds 2^30", fn, batch, heads);
  KN_CHECK_ARG(std::isfinite(scale), "%s: scale = %g must be finite", fn, static_cast<double>(scale));
  KN_CHECK_ARG(std::isfinite(softcap) && softcap >= 0.0f,
               "%s: softcap = %g must be finite and >= 0 (0 = none)", fn, static_cast<double>(softcap));
  KN_CHECK_ARG(window_left >= -1 && window_right >= -1,
               "%s: window_left = %lld, window_right = %lld must be >= -1 (-1 = unlimited)", fn,
               static_cast<long long>(window_left), static_cast<long long>(window_right));
  KN_CHECK_ARG(causal == 0 || causal == 1, "%s: causal = %d must be 0 or 1", fn, causal);
  KN_CHECK_ARG(workspace != nullptr && reinterpret_cast<uintptr_t>(workspace) % 64 == 0,
               "%s: workspace must be a 64-byte aligned block", fn);
  KN_CHECK_ARG(workspace_bytes >= AttentionWorkspaceFloats(head_dim, value_head_dim) * sizeof(float),
               "%s: workspace_bytes = %zu is less than kn_flash_attention_workspace_size = %zu", fn,
               workspace_bytes, AttentionWorkspaceFloats(head_dim, value_head_dim) * sizeof(float));
  p->dtype = dtype;
  p->batch = batch;
  p->seq_q = seq_q;
  p->seq_k = seq_k;
  p->heads = heads;
  p->kv_heads = kv_heads;
  p->head_dim = head_dim;
  p->value_head_dim = value_head_dim;
  KN_CHECK_OK(CheckStrides(fn, "q_strides", q_strides, &p->q));
  KN_CHECK_OK(CheckStrides(fn, "k_strides", k_strides, &p->k));
  KN_CHECK_OK(CheckStrides(fn, "v_strides", v_strides, &p->v));
  KN_CHECK_OK(CheckStrides(fn, "o_strides", o_strides, &p->o));
  p->scale = scale;
  p->softcap = softcap;
  p->causal = causal != 0;
  p->window_left = window_left;
  p->window_right = window_right;
  p->workspace = workspace;
  return KN_OK;
}

// Forward and dQ work items: (batch * heads) x query tiles.
inline size_t QueryItems(const AttentionProblem& p) {
  return p.batch * p.heads * ((p.seq_q + kAttentionBlock - 1) / kAttentionBlock);
}

// dK/dV work items: (batch * kv_heads) x key tiles.
inline size_t KeyItems(const AttentionProblem& p) {
  return p.batch * p.kv_heads * ((p.seq_k + kAttentionBlock - 1) / kAttentionBlock);
}

inline kn_status CheckItemRange(const char* fn, size_t begin, size_t count, size_t items) {
  KN_CHECK_ARG(begin <= items && count <= items - begin,
               "%s: items [%zu, %zu + %zu) exceed the %zu work items", fn, begin, begin, count, items);
  return KN_OK;
}

}  // namespace kn

#endif  // KN_ATTENTION_ATTENTION_ARGUMENTS_H_
