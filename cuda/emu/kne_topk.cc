// kne_topk: cuda/topk.cu's launch sequence under the emulator, as Kernels.Cuda.CudaTopK queues it.
#include "topk.cu"

#include "kne_error.h"

extern "C" {

KNE_API uint64_t kne_topk_workspace_words(uint64_t n) {
  return kn::kTopKStateWords + 2 * ((n + kn::kTopKTile - 1) / kn::kTopKTile);
}

KNE_API kne_status kne_topk(const float* x, uint64_t n, uint64_t k, uint32_t* indices, float* values, uint32_t* workspace,
                            uint32_t grid_x, uint32_t block_x) {
  if (k < 1 || k > n || n > UINT32_MAX)
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_topk: k = %llu must be in [1, n = %llu], n < 2^32",
                     static_cast<unsigned long long>(k), static_cast<unsigned long long>(n));
  if (x == nullptr || indices == nullptr || values == nullptr || workspace == nullptr)
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_topk: null buffer");
  kn::TopKArgs args{x, indices, values, workspace, workspace + kn::kTopKStateWords, n, k, 0};
  const dim3 grid(grid_x), block(block_x);
  kne_status status = kne::FromLaunch(emu_launch(kn::topk_clear, grid, block, 0, args));
  for (unsigned digit = 0; digit < kn::kTopKDigits && status == KNE_OK; ++digit) {
    args.digit = digit;
    status = kne::FromLaunch(emu_launch(kn::topk_histogram, grid, block, 0, args));
    if (status == KNE_OK) status = kne::FromLaunch(emu_launch(kn::topk_choose_digit, dim3(1), dim3(32), 0, args));
  }
  if (status == KNE_OK) status = kne::FromLaunch(emu_launch(kn::topk_count_tiles, grid, block, 0, args));
  if (status == KNE_OK) status = kne::FromLaunch(emu_launch(kn::topk_scan_tiles, dim3(1), dim3(1024), 0, args));
  if (status == KNE_OK) status = kne::FromLaunch(emu_launch(kn::topk_emit_tiles, grid, block, 0, args));
  return status;
}

KNE_API uint64_t kne_topk_args_bytes(void) { return sizeof(kn::TopKArgs); }

}  // extern "C"
