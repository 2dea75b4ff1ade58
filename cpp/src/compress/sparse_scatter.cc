// kn_sparse_scatter and kn_sparse_scatter_add: (index, value) pairs back into a dense buffer.
// Plain scalar loops, the same on every target: the writes are random access (only AVX-512 has a
// scatter instruction; not measured yet). Every index is checked before the first write, so a bad
// index leaves dense untouched.
#include <cstddef>
#include <cstdint>

#include "compress/compress_params.h"
#include "core/arguments.h"

namespace kn {
namespace {

kn_status CheckScatter(const char* fn, const SparseScatterParams& p) {
  if (p.count == 0) return KN_OK;
  KN_CHECK_OK(CheckPointer(fn, "indices", p.indices, p.count));
  KN_CHECK_OK(CheckPointer(fn, "values", p.values, p.count));
  KN_CHECK_OK(CheckPointer(fn, "dense", p.dense, p.n));
  for (size_t j = 0; j < p.count; ++j) {
    KN_CHECK_ARG(p.indices[j] < p.n, "%s: indices[%zu] = %u is not below n = %zu", fn, j,
                 p.indices[j], p.n);
  }
  return KN_OK;
}

}  // namespace
}  // namespace kn

extern "C" {

KN_API kn_status kn_sparse_scatter(const uint32_t* indices, const float* values, size_t count,
                                   float* dense, size_t n) {
  const kn::SparseScatterParams p{indices, values, count, dense, n};
  KN_CHECK_OK(kn::CheckScatter("kn_sparse_scatter", p));
  for (size_t j = 0; j < count; ++j) dense[indices[j]] = values[j];
  return KN_OK;
}

KN_API kn_status kn_sparse_scatter_add(const uint32_t* indices, const float* values, size_t count,
                                       float* dense, size_t n) {
  const kn::SparseScatterParams p{indices, values, count, dense, n};
  KN_CHECK_OK(kn::CheckScatter("kn_sparse_scatter_add", p));
  for (size_t j = 0; j < count; ++j) dense[indices[j]] += values[j];
  return KN_OK;
}

}  // extern "C"
