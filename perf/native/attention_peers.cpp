// The attention peer (attention_peers.h): materialised softmax(scale Q K^T) V with OpenBLAS sgemm.
#include "attention_peers.h"

#include <cblas.h>

#include <cmath>
#include <limits>

#include "thread_team.h"

namespace {

// openblas_set_num_threads resizes OpenBLAS's pool; only call it when the count changes.
void use_blas_threads(int32_t threads) {
  static int32_t current = 0;
  if (threads < 1) threads = 1;
  if (threads == current) return;
  openblas_set_num_threads(threads);
  current = threads;
}

// One row of scores: masked keys become 0, the rest exp(s - max) / sum. With -ffast-math GCC
// vectorises expf through glibc's libmvec, so the peer's softmax is not a scalar bottleneck.
void softmax_row(float* row, size_t visible, size_t seq_k) {
  float max = -std::numeric_limits<float>::infinity();
  for (size_t j = 0; j < visible; ++j) max = row[j] > max ? row[j] : max;
  float sum = 0.0f;
  for (size_t j = 0; j < visible; ++j) {
    row[j] = expf(row[j] - max);
    sum += row[j];
  }
  const float inverse = visible > 0 ? 1.0f / sum : 0.0f;
  for (size_t j = 0; j < visible; ++j) row[j] *= inverse;
  for (size_t j = visible; j < seq_k; ++j) row[j] = 0.0f;
}

}  // namespace

extern "C" KPA_API void kpa_attention_openblas(const float* q, const float* k, const float* v, float* o, float* scores,
                                               size_t batch, size_t seq_q, size_t seq_k, size_t heads,
                                               size_t kv_heads, size_t head_dim, float scale, int32_t causal,
                                               int32_t threads) {
  use_blas_threads(threads);
  const size_t group = heads / kv_heads;
  const int ld_q = static_cast<int>(heads * head_dim), ld_k = static_cast<int>(kv_heads * head_dim);
  for (size_t b = 0; b < batch; ++b) {
    for (size_t h = 0; h < heads; ++h) {
      const size_t g = h / group;
      const float* qh = q + (b * seq_q * heads + h) * head_dim;
      const float* kg = k + (b * seq_k * kv_heads + g) * head_dim;
      const float* vg = v + (b * seq_k * kv_heads + g) * head_dim;
      float* oh = o + (b * seq_q * heads + h) * head_dim;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(seq_q), static_cast<int>(seq_k),
                  static_cast<int>(head_dim), scale, qh, ld_q, kg, ld_k, 0.0f, scores, static_cast<int>(seq_k));
      kp::run_team(threads, [&](int index) {
        size_t begin, end;
        kp::slice_of(seq_q, threads, index, &begin, &end);
        for (size_t i = begin; i < end; ++i) {
          // Bottom-right aligned: row i sees keys j <= i + seq_k - seq_q.
          const long long last = static_cast<long long>(i + seq_k) - static_cast<long long>(seq_q);
          const size_t visible = !causal ? seq_k : last < 0 ? 0 : static_cast<size_t>(last) + 1;
          softmax_row(scores + i * seq_k, visible, seq_k);
        }
      });
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(seq_q), static_cast<int>(head_dim),
                  static_cast<int>(seq_k), 1.0f, scores, static_cast<int>(seq_k), vg, ld_k, 0.0f, oh, ld_q);
    }
  }
}
