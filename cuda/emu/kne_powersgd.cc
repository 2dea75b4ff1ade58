// kne_lowrank_m_q / kne_lowrank_mt_p / kne_orthonormalize_columns: cuda/powersgd.cu under the emulator.
#include "powersgd.cu"

#include "kne_error.h"

namespace {

kne_status CheckLowRank(const char* fn, const void* m, const void* in, const void* out, uint64_t cols, uint64_t ld, uint32_t rank) {
  if (rank < 1 || rank > 32) return kne::Fail(KNE_INVALID_ARGUMENT, "%s: rank = %u must be in [1, 32]", fn, rank);
  if (ld < cols) return kne::Fail(KNE_INVALID_ARGUMENT, "%s: ld is less than cols", fn);
  if (m == nullptr || in == nullptr || out == nullptr) return kne::Fail(KNE_INVALID_ARGUMENT, "%s: null buffer", fn);
  return KNE_OK;
}

}  // namespace

extern "C" {

KNE_API kne_status kne_lowrank_m_q(const float* m, const float* q, float* p, uint64_t rows, uint64_t cols, uint64_t ld,
                                   uint32_t rank, uint32_t grid_x, uint32_t block_x) {
  const kne_status valid = CheckLowRank("kne_lowrank_m_q", m, q, p, cols, ld, rank);
  if (valid != KNE_OK) return valid;
  return kne::FromLaunch(emu_launch(kn::lowrank_m_q, dim3(grid_x), dim3(block_x), 0, kn::LowRankArgs{m, q, p, rows, cols, ld, rank}));
}

KNE_API kne_status kne_lowrank_mt_p(const float* m, const float* p, float* q, uint64_t rows, uint64_t cols, uint64_t ld,
                                    uint32_t rank, uint32_t grid_x, uint32_t block_x) {
  const kne_status valid = CheckLowRank("kne_lowrank_mt_p", m, p, q, cols, ld, rank);
  if (valid != KNE_OK) return valid;
  return kne::FromLaunch(emu_launch(kn::lowrank_mt_p, dim3(grid_x), dim3(block_x), 0, kn::LowRankArgs{m, p, q, rows, cols, ld, rank}));
}

KNE_API kne_status kne_orthonormalize_columns(float* p, uint64_t rows, uint32_t rank, float eps) {
  if (rank < 1 || rank > 32 || p == nullptr)
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_orthonormalize_columns: rank = %u must be in [1, 32], p not null", rank);
  return kne::FromLaunch(emu_launch(kn::orthonormalize_columns, dim3(1), dim3(256), 0, kn::OrthonormalizeArgs{p, rows, rank, eps}));
}

KNE_API uint64_t kne_lowrank_args_bytes(void) { return sizeof(kn::LowRankArgs); }
KNE_API uint64_t kne_orthonormalize_args_bytes(void) { return sizeof(kn::OrthonormalizeArgs); }

}  // extern "C"
