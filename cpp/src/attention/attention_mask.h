// Which keys a query row sees: causal and sliding-window masks are one contiguous key range per row.
#ifndef KN_ATTENTION_ATTENTION_MASK_H_
#define KN_ATTENTION_ATTENTION_MASK_H_

#include <algorithm>
#include <cstdint>

#include "attention/attention_params.h"

namespace kn {

// Indices [begin, end) of keys or queries (end <= begin: none).
struct IndexRange {
  int64_t begin;
  int64_t end;
};

// Bottom-right alignment (FlashAttention >= 2.1): query i's diagonal key is i + seq_k - seq_q, so
// the last query row always lines up with the last key. Both bounds are non-decreasing in i, which
// lets a tile of rows be bounded by its first and last row.
class AttentionMask {
 public:
  explicit AttentionMask(const AttentionProblem& p)
      : offset_(static_cast<int64_t>(p.seq_k) - static_cast<int64_t>(p.seq_q)),
        seq_q_(static_cast<int64_t>(p.seq_q)),
        seq_k_(static_cast<int64_t>(p.seq_k)),
        causal_(p.causal),
        window_left_(p.window_left),
        window_right_(p.window_right) {}

  IndexRange Row(int64_t query) const {
    const int64_t diagonal = query + offset_;
    int64_t end = seq_k_;
    if (causal_) end = std::min(end, diagonal + 1);
    if (window_right_ >= 0) end = std::min(end, diagonal + window_right_ + 1);
    int64_t begin = window_left_ >= 0 ? std::max<int64_t>(0, diagonal - window_left_) : 0;
    return {begin, end};
  }

  // Queries that see `key`: the same conditions solved for i (j <= i + offset + window_right
  // <=> i >= j - offset - window_right, and so on). Also non-decreasing in the key.
  IndexRange Queries(int64_t key) const {
    int64_t begin = 0, end = seq_q_;
    if (causal_) begin = std::max(begin, key - offset_);
    if (window_right_ >= 0) begin = std::max(begin, key - offset_ - window_right_);
    if (window_left_ >= 0) end = std::min(end, key - offset_ + window_left_ + 1);
    return {begin, end};
  }

  // Keys any of the rows [first, first + rows) sees (a superset when rows in between see none).
  IndexRange Rows(int64_t first, int64_t rows) const {
    return {Row(first).begin, Row(first + rows - 1).end};
  }

  // True when every row in [first, first + rows) sees every key in [key, key + keys).
  bool CoversAll(int64_t first, int64_t rows, int64_t key, int64_t keys) const {
    return Row(first + rows - 1).begin <= key && Row(first).end >= key + keys;
  }

 private:
  int64_t offset_;
  int64_t seq_q_;
  int64_t seq_k_;
  bool causal_;
  int64_t window_left_;
  int64_t window_right_;
};

}  // namespace kn

#endif  // KN_ATTENTION_ATTENTION_MASK_H_
