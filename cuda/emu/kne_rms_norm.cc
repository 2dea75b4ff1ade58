// kne_rms_norm / kne_add_rms_norm: cuda/rms_norm.cu under the emulator.
#include "rms_norm.cu"

#include "kne_error.h"

namespace {

template <class S>
kne_status LaunchNorm(bool add, kne_norm_layout layout, const kn::NormArgs& args, uint32_t grid_x, uint32_t block_x) {
  const dim3 grid(grid_x), block(block_x);
  // The block layout's warp sums: one float per warp (a partial last warp still gets a slot, so the
  // emulator, not an out-of-bounds write, reports the misuse).
  const size_t warp_sums = (block_x + 31) / 32 * sizeof(float);
  switch (layout) {
    case KNE_WARP_PER_ROW:
      return kne::FromLaunch(add ? emu_launch(kn::add_rms_norm_warp_per_row<S>, grid, block, 0, args)
                                 : emu_launch(kn::rms_norm_warp_per_row<S>, grid, block, 0, args));
    case KNE_BLOCK_PER_ROW:
      return kne::FromLaunch(add ? emu_launch(kn::add_rms_norm_block_per_row<S>, grid, block, warp_sums, args)
                                 : emu_launch(kn::rms_norm_block_per_row<S>, grid, block, warp_sums, args));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "layout = %d is not a kne_norm_layout", static_cast<int>(layout));
}

kne_status Norm(bool add, kne_dtype dtype, const kn::NormArgs& args, kne_norm_layout layout, uint32_t grid_x,
                uint32_t block_x) {
  if (args.rows != 0 && (args.x == nullptr || args.weight == nullptr || args.y == nullptr || (add && args.residual == nullptr)))
    return kne::Fail(KNE_INVALID_ARGUMENT, "null buffer with rows = %llu", args.rows);
  switch (dtype) {
    case KNE_F32: return LaunchNorm<kn::F32Storage>(add, layout, args, grid_x, block_x);
    case KNE_F16: return LaunchNorm<kn::F16Storage>(add, layout, args, grid_x, block_x);
    case KNE_BF16: return LaunchNorm<kn::BF16Storage>(add, layout, args, grid_x, block_x);
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "dtype = %d is not a kne_dtype", static_cast<int>(dtype));
}

}  // namespace

extern "C" {

KNE_API kne_status kne_rms_norm(kne_dtype dtype, const void* x, const void* weight, void* y, uint64_t rows,
                                uint64_t cols, float eps, kne_norm_layout layout, uint32_t grid_x, uint32_t block_x) {
  return Norm(false, dtype, kn::NormArgs{x, nullptr, weight, y, rows, cols, eps}, layout, grid_x, block_x);
}

KNE_API kne_status kne_add_rms_norm(kne_dtype dtype, const void* x, void* residual, const void* weight, void* y,
                                    uint64_t rows, uint64_t cols, float eps, kne_norm_layout layout,
                                    uint32_t grid_x, uint32_t block_x) {
  return Norm(true, dtype, kn::NormArgs{x, residual, weight, y, rows, cols, eps}, layout, grid_x, block_x);
}

}  // extern "C"

extern "C" KNE_API uint64_t kne_norm_args_bytes(void) { return sizeof(kn::NormArgs); }
