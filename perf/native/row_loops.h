// row_loops.h — tight single-threaded loops over one f32 row, for any vector width S: the floor a
// kernel call on a single 4096-wide row is compared with. The repeat loop runs here, so no call,
// validation or dispatch overhead is counted; the row stays in L1 as it would for a caller
// normalising one row.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "thread_team.h"

namespace kp {
// Internal linkage: each ISA source gets its own copy, built with its own flags.
namespace {

constexpr float kRowEps = 1e-6f;

template <class S>
void scale_by_weight(const float* v, const float* weight, float inv_rms, float* y, size_t cols) {
  const typename S::V scale = S::set1(inv_rms);
  for (size_t i = 0; i < cols; i += S::kLanes) S::store(y + i, S::mul(S::mul(S::load(v + i), scale), S::load(weight + i)));
}

inline float inverse_rms(float sum_sq, size_t cols) { return 1.0f / std::sqrt(sum_sq / static_cast<float>(cols) + kRowEps); }

// Four accumulators: one would serialise on the FMA latency. cols is a multiple of 4 lanes.
template <class S>
__attribute__((noinline)) void rms_norm_row(const float* x, const float* weight, float* y, size_t cols) {
  typename S::V s0 = S::zero(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i < cols; i += 4 * S::kLanes) {
    const typename S::V a = S::load(x + i), b = S::load(x + i + S::kLanes);
    const typename S::V c = S::load(x + i + 2 * S::kLanes), d = S::load(x + i + 3 * S::kLanes);
    s0 = S::fmadd(a, a, s0);
    s1 = S::fmadd(b, b, s1);
    s2 = S::fmadd(c, c, s2);
    s3 = S::fmadd(d, d, s3);
  }
  const float sum_sq = S::sum(S::add(S::add(s0, s1), S::add(s2, s3)));
  scale_by_weight<S>(x, weight, inverse_rms(sum_sq, cols), y, cols);
}

// Adds and squares in one pass, as a fused kernel would, then scales the stored residual.
template <class S>
__attribute__((noinline)) void add_rms_norm_row(const float* x, float* residual, const float* weight, float* y, size_t cols) {
  typename S::V s0 = S::zero(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i < cols; i += 4 * S::kLanes) {
    typename S::V v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = S::add(S::load(x + i + k * S::kLanes), S::load(residual + i + k * S::kLanes));
      S::store(residual + i + k * S::kLanes, v[k]);
    }
    s0 = S::fmadd(v[0], v[0], s0);
    s1 = S::fmadd(v[1], v[1], s1);
    s2 = S::fmadd(v[2], v[2], s2);
    s3 = S::fmadd(v[3], v[3], s3);
  }
  const float sum_sq = S::sum(S::add(S::add(s0, s1), S::add(s2, s3)));
  scale_by_weight<S>(residual, weight, inverse_rms(sum_sq, cols), y, cols);
}

// The four rows in one 64-byte-aligned block, as the kernels' callers would pass them: malloc'd
// std::vectors are only 16-byte aligned, and split 512-bit loads made the loop ~1.5x slower.
struct RowBuffers {
  float *x, *residual, *weight, *y;
  explicit RowBuffers(size_t cols) {
    const size_t row_bytes = (cols * sizeof(float) + 63) / 64 * 64;
    block_ = static_cast<float*>(std::aligned_alloc(64, 4 * row_bytes));
    const size_t stride = row_bytes / sizeof(float);
    x = block_;
    residual = block_ + stride;
    weight = block_ + 2 * stride;
    y = block_ + 3 * stride;
    for (size_t i = 0; i < cols; ++i) {
      x[i] = 1e-3f * static_cast<float>(i % 97);  // small, so a long residual sum stays finite
      residual[i] = 0.5f - 1e-3f * static_cast<float>(i % 89);
      weight[i] = 1.0f + 1e-4f * static_cast<float>(i % 13);
    }
  }
  ~RowBuffers() { std::free(block_); }
  RowBuffers(const RowBuffers&) = delete;
  RowBuffers& operator=(const RowBuffers&) = delete;

 private:
  float* block_;
};

// Median over trials: the managed side reports medians too, so noise from other processes affects both alike.
template <class Row>
double median_seconds_per_row(int repeats, int trials, Row row) {
  std::vector<double> per_row(trials < 1 ? 1 : trials);
  for (double& seconds : per_row) {
    const double start = seconds_now();
    for (int r = 0; r < repeats; ++r) {
      row();
      asm volatile("" ::: "memory");  // each repeat must really run
    }
    seconds = (seconds_now() - start) / repeats;
  }
  std::sort(per_row.begin(), per_row.end());
  return per_row[per_row.size() / 2];
}

template <class S>
double add_rms_norm_row_seconds(size_t cols, int repeats, int trials) {
  RowBuffers b(cols);
  return median_seconds_per_row(repeats, trials, [&] {
    add_rms_norm_row<S>(b.x, b.residual, b.weight, b.y, cols);
  });
}

template <class S>
double rms_norm_row_seconds(size_t cols, int repeats, int trials) {
  RowBuffers b(cols);
  return median_seconds_per_row(repeats, trials, [&] { rms_norm_row<S>(b.x, b.weight, b.y, cols); });
}

}  // namespace
}  // namespace kp
