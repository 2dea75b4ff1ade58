// Input values whose sums are exact in f32 (small integers), so a result can be checked element by
// element for equality, as nccl-tests counts #wrong. The pattern depends on the element's global index
// (catches misplaced blocks) and on the rank (catches a missing or doubled contribution).
#pragma once

#include <cstddef>

namespace peers {

// Rank `rank`'s element at global index `index` of the full vector.
inline float TestValue(int rank, size_t index) { return static_cast<float>((rank + 1) * static_cast<int>(index % 13 + 1)); }

// Sum over ranks 0..ranks-1 of TestValue(rank, index).
inline float ExpectedSum(int ranks, size_t index) {
  return static_cast<float>(ranks * (ranks + 1) / 2 * static_cast<int>(index % 13 + 1));
}

}  // namespace peers
