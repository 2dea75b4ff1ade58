// PowerSGD's tall-skinny products: kn_lowrank_m_q (p = m q), kn_lowrank_mt_p (q = m^T p) and
// kn_lowrank_p_qt (m = p q^T).
//
// m_q and mt_p stream m once, row by row, and vectorise over the rank: a row of q or p (rank <= 32
// floats) is kRankVectors vectors of a tag no wider than it needs (4 lanes for rank <= 4, 8 for
// rank <= 8), and kRows rows of m share every load of it. Each output element is a sum over the
// inner index in ascending order, one MulAdd per term (fused on AVX2/AVX3, multiply + add below).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "compress/lowrank.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "compress/compress_params.h"

#include <cstring>

HWY_BEFORE_NAMESPACE();
namespace kn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The lanes of one rank-row vector that are inside the row: rank - first, clamped to [0, lanes].
HWY_INLINE size_t LanesInRow(size_t rank, size_t first, size_t lanes) {
  return first >= rank ? 0 : (rank - first < lanes ? rank - first : lanes);
}

// Loads vector v of a rank-row. Unguarded rows may read past the row into the next one (those
// lanes are never stored); the last rows copy into a zero-padded buffer instead.
template <class DR>
HWY_INLINE hn::Vec<DR> LoadRankVector(DR dr, const float* row, size_t rank, size_t v, bool guarded) {
  const size_t L = hn::Lanes(dr);
  if (!guarded) return hn::LoadU(dr, row + v * L);
  HWY_ALIGN float lanes[hn::MaxLanes(dr)] = {};
  std::memcpy(lanes, row + v * L, LanesInRow(rank, v * L, L) * sizeof(float));
  return hn::Load(dr, lanes);
}

// Stores the in-row lanes of vector v only: the lanes past the row may hold anything (even NaN
// from an Inf in m times a padding 0) and belong to the next row.
template <class DR>
HWY_INLINE void StoreRankVector(DR dr, hn::Vec<DR> x, float* row, size_t rank, size_t v) {
  const size_t L = hn::Lanes(dr);
  const size_t valid = LanesInRow(rank, v * L, L);
  if (valid == L) return hn::StoreU(x, dr, row + v * L);
  HWY_ALIGN float lanes[hn::MaxLanes(dr)];
  hn::Store(x, dr, lanes);
  std::memcpy(row + v * L, lanes, valid * sizeof(float));
}

// Rank-rows 0..unguarded-1 of a (count, rank) matrix can be loaded whole without leaving it.
HWY_INLINE size_t UnguardedRows(size_t count, size_t rank, size_t vector_floats) {
  const size_t slack = (vector_floats + rank - 1) / rank;  // rows a full load may reach past its own
  return count > slack ? count - slack : 0;
}

// p[r0 .. r0 + kRows) = m[r0 .. r0 + kRows) q.
template <class DR, size_t kRankVectors, size_t kRows>
HWY_INLINE void MQRows(DR dr, const LowRankParams& lp, size_t r0) {
  const size_t L = hn::Lanes(dr);
  const size_t cols = lp.cols, rank = lp.rank, ld = lp.ld;
  const float* m = lp.m + r0 * ld;
  const size_t unguarded = UnguardedRows(cols, rank, kRankVectors * L);
  hn::Vec<DR> acc[kRows][kRankVectors];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kRankVectors; ++v) acc[r][v] = hn::Zero(dr);
  for (size_t j = 0; j < cols; ++j) {
    hn::Vec<DR> qv[kRankVectors];
    for (size_t v = 0; v < kRankVectors; ++v) qv[v] = LoadRankVector(dr, lp.a + j * rank, rank, v, j >= unguarded);
    for (size_t r = 0; r < kRows; ++r) {
      const auto mv = hn::Set(dr, m[r * ld + j]);
      for (size_t v = 0; v < kRankVectors; ++v) acc[r][v] = hn::MulAdd(mv, qv[v], acc[r][v]);
    }
  }
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kRankVectors; ++v) StoreRankVector(dr, acc[r][v], lp.out + (r0 + r) * rank, rank, v);
}

// q += m[r0 .. r0 + kRows)^T p[r0 .. r0 + kRows), rows in ascending order.
template <class DR, size_t kRankVectors, size_t kRows>
HWY_INLINE void MTPRows(DR dr, const LowRankParams& lp, size_t r0) {
  const size_t L = hn::Lanes(dr);
  const size_t cols = lp.cols, rank = lp.rank, ld = lp.ld;
  const float* m = lp.m + r0 * ld;
  const size_t unguarded = UnguardedRows(cols, rank, kRankVectors * L);
  hn::Vec<DR> pv[kRows][kRankVectors];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kRankVectors; ++v) pv[r][v] = LoadRankVector(dr, lp.a + (r0 + r) * rank, rank, v, true);
  for (size_t j = 0; j < cols; ++j) {
    float* qrow = lp.out + j * rank;
    hn::Vec<DR> qv[kRankVectors];
    for (size_t v = 0; v < kRankVectors; ++v) qv[v] = LoadRankVector(dr, qrow, rank, v, j >= unguarded);
    for (size_t r = 0; r < kRows; ++r) {
      const auto mv = hn::Set(dr, m[r * ld + j]);
      for (size_t v = 0; v < kRankVectors; ++v) qv[v] = hn::MulAdd(mv, pv[r][v], qv[v]);
    }
    for (size_t v = 0; v < kRankVectors; ++v) StoreRankVector(dr, qv[v], qrow, rank, v);
  }
}

// Row blocks of kRows (4 when the accumulators fit the registers), then single rows.
template <class DR, size_t kRankVectors, bool kTransposed>
void LowRankRows(DR dr, const LowRankParams& lp) {
  constexpr size_t kRows = kRankVectors <= 2 ? 4 : (kRankVectors <= 4 ? 2 : 1);
  if (!kTransposed) {
    // Bottom-up. Rows of p are independent, so the order changes no bit; but the rows of m read last
    // (the top ones) are then still in the L3 when mt_p, which a PowerSGD step runs next on the same
    // m, starts reading from the top (measured: see compress_params.h).
    size_t end = lp.rows;
    for (; end >= kRows; end -= kRows) MQRows<DR, kRankVectors, kRows>(dr, lp, end - kRows);
    for (; end > 0; --end) MQRows<DR, kRankVectors, 1>(dr, lp, end - 1);
    return;
  }
  size_t r0 = 0;
  for (; r0 + kRows <= lp.rows; r0 += kRows) MTPRows<DR, kRankVectors, kRows>(dr, lp, r0);
  for (; r0 < lp.rows; ++r0) MTPRows<DR, kRankVectors, 1>(dr, lp, r0);
}

// kRankVectors rounded up to a power of two (at most 32 lanes of work per rank-row).
template <class DR, bool kTransposed>
void LowRankWithTag(DR dr, const LowRankParams& lp) {
  const size_t L = hn::Lanes(dr);
  const size_t vectors = (lp.rank + L - 1) / L;
  if (vectors <= 1) return LowRankRows<DR, 1, kTransposed>(dr, lp);
  if (vectors <= 2) return LowRankRows<DR, 2, kTransposed>(dr, lp);
  if (vectors <= 4) return LowRankRows<DR, 4, kTransposed>(dr, lp);
  if (vectors <= 8) return LowRankRows<DR, 8, kTransposed>(dr, lp);
  if (vectors <= 16) return LowRankRows<DR, 16, kTransposed>(dr, lp);
  LowRankRows<DR, 32, kTransposed>(dr, lp);
}

template <bool kTransposed>
void LowRank(const LowRankParams& lp) {
  if (lp.rank <= 4) return LowRankWithTag<hn::CappedTag<float, 4>, kTransposed>(hn::CappedTag<float, 4>(), lp);
  if (lp.rank <= 8) return LowRankWithTag<hn::CappedTag<float, 8>, kTransposed>(hn::CappedTag<float, 8>(), lp);
  LowRankWithTag<hn::ScalableTag<float>, kTransposed>(hn::ScalableTag<float>(), lp);
}

void LowRankMQ(const LowRankParams& lp) { LowRank<false>(lp); }

void LowRankMTP(const LowRankParams& lp) {
  std::memset(lp.out, 0, lp.cols * lp.rank * sizeof(float));
  LowRank<true>(lp);
}

}  // namespace HWY_NAMESPACE
}  // namespace kn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/arguments.h"

namespace kn {
HWY_EXPORT(LowRankMQ);
HWY_EXPORT(LowRankMTP);

namespace {
kn_status CheckLowRank(const char* fn, const LowRankParams& lp, const char* a_name, const char* out_name,
                       size_t a_count, size_t out_count) {
  KN_CHECK_ARG(lp.rank >= 1 && lp.rank <= 32, "%s: rank = %zu must be in [1, 32]", fn, lp.rank);
  KN_CHECK_OK(CheckShape(fn, lp.rows, lp.cols, KN_F32));
  KN_CHECK_ARG(lp.rows <= SIZE_MAX / 32 && lp.cols <= SIZE_MAX / 32,
               "%s: rows = %zu or cols = %zu times rank overflows size_t", fn, lp.rows, lp.cols);
  KN_CHECK_ARG(lp.ld >= lp.cols, "%s: ld = %zu is less than cols = %zu", fn, lp.ld, lp.cols);
  KN_CHECK_OK(CheckShape(fn, lp.rows, lp.ld, KN_F32));
  KN_CHECK_OK(CheckPointer(fn, "m", lp.m, lp.rows * lp.cols));
  KN_CHECK_OK(CheckPointer(fn, a_name, lp.a, a_count));
  return CheckPointer(fn, out_name, lp.out, out_count);
}
}  // namespace
}  // namespace kn

extern "C" {

KN_API kn_status kn_lowrank_m_q(const float* m, const float* q, float* p, size_t rows, size_t cols,
                                size_t rank) {
  const kn::LowRankParams lp{m, q, nullptr, p, rows, cols, rank, cols};
  KN_CHECK_OK(kn::CheckLowRank("kn_lowrank_m_q", lp, "q", "p", cols * rank, rows * rank));
  if (rows == 0) return KN_OK;
  HWY_DYNAMIC_DISPATCH(kn::LowRankMQ)(lp);
  return KN_OK;
}

KN_API kn_status kn_lowrank_mt_p(const float* m, const float* p, float* q, size_t rows, size_t cols,
                                 size_t rank) {
  return kn_lowrank_mt_p_strided(m, cols, p, q, rows, cols, rank);
}

KN_API kn_status kn_lowrank_mt_p_strided(const float* m, size_t ld, const float* p, float* q,
                                         size_t rows, size_t cols, size_t rank) {
  const kn::LowRankParams lp{m, p, nullptr, q, rows, cols, rank, ld};
  KN_CHECK_OK(kn::CheckLowRank("kn_lowrank_mt_p", lp, "p", "q", rows * rank, cols * rank));
  if (cols == 0) return KN_OK;
  HWY_DYNAMIC_DISPATCH(kn::LowRankMTP)(lp);
  return KN_OK;
}

}  // extern "C"
#endif  // HWY_ONCE
