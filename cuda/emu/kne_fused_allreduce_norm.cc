// kne_fused_allreduce_norm: cuda/fused_allreduce_norm.cu on several emulated GPUs at once. Each rank's
// launches run on their own OS thread (the emulator's per-thread launch state keeps them apart), and
// the workspaces are ordinary host memory that every rank addresses directly, standing in for the
// IPC-mapped device memory of a real node. Ranks left out of run_mask model a peer that died.
#include "fused_allreduce_norm.cu"

#include <thread>
#include <vector>

#include "kne_error.h"

namespace {

template <class S>
cuda_emu::LaunchResult LaunchOnce(kne_fused_algorithm algorithm, const kn::FusedNormArgs& args, dim3 grid, dim3 block) {
  return algorithm == KNE_FUSED_ONE_SHOT ? emu_launch(kn::fused_allreduce_norm_one_shot<S>, grid, block, 0, args)
                                         : emu_launch(kn::fused_allreduce_norm_two_shot<S>, grid, block, 0, args);
}

template <class S>
kne_status Run(kne_fused_algorithm algorithm, uint32_t world, const void* const* x, void* const* residual, const void* weight,
               void* const* y, uint64_t rows, uint64_t cols, float eps, uint32_t launches, uint32_t run_mask,
               uint32_t timeout_polls, uint32_t* status, uint32_t grid_x, uint32_t block_x) {
  const size_t bytes = kn::kFusedDataOffset + 3 * rows * cols * sizeof(typename S::Bits);
  // Zeroed, as the C# side zeroes a fresh device workspace; 8-byte words keep every access aligned.
  std::vector<std::vector<uint64_t>> workspaces(world, std::vector<uint64_t>((bytes + 7) / 8));
  std::vector<cuda_emu::LaunchResult> results(world);
  std::vector<std::thread> gpus;
  for (uint32_t r = 0; r < world; ++r) {
    if ((run_mask >> r & 1u) == 0) continue;
    kn::FusedNormArgs args{};
    for (uint32_t p = 0; p < world; ++p) args.workspaces[p] = workspaces[p].data();
    args.x = x[r];
    args.residual = residual[r];
    args.weight = weight;
    args.y = y[r];
    args.rows = rows;
    args.cols = cols;
    args.eps = eps;
    args.rank = r;
    args.world = world;
    args.timeout_polls = timeout_polls;
    gpus.emplace_back([&results, algorithm, args, launches, grid_x, block_x, r]() mutable {
      // Later launches reuse the flags with the next epoch, as the C# communicator does.
      for (uint32_t launch = 1; launch <= launches && results[r].ok; ++launch) {
        args.epoch = launch;
        results[r] = LaunchOnce<S>(algorithm, args, dim3(grid_x), dim3(block_x));
        if (*kn::StatusWord(args.workspaces[r]) != 0) break;  // a peer timed out: later launches would too
      }
    });
  }
  for (std::thread& gpu : gpus) gpu.join();
  for (uint32_t r = 0; r < world; ++r) {
    status[r] = *kn::StatusWord(workspaces[r].data());
    if (!results[r].ok) return kne::Fail(KNE_LAUNCH_FAILED, "rank %u: %s", r, results[r].message.c_str());
  }
  return KNE_OK;
}

}  // namespace

extern "C" {

KNE_API kne_status kne_fused_allreduce_norm(kne_dtype dtype, kne_fused_algorithm algorithm, uint32_t world, const void* const* x,
                                            void* const* residual, const void* weight, void* const* y, uint64_t rows,
                                            uint64_t cols, float eps, uint32_t launches, uint32_t run_mask,
                                            uint32_t timeout_polls, uint32_t* status, uint32_t grid_x, uint32_t block_x) {
  if (world < 1 || world > kn::kFusedMaxRanks)
    return kne::Fail(KNE_INVALID_ARGUMENT, "world = %u is outside 1..%u", world, kn::kFusedMaxRanks);
  if (grid_x > kn::kFusedMaxBlocks)
    return kne::Fail(KNE_INVALID_ARGUMENT, "grid_x = %u exceeds the %u blocks the flag slots cover", grid_x, kn::kFusedMaxBlocks);
  // The kernels' launch bound is 256 threads: a GPU refuses larger blocks, so the emulator does too.
  if (block_x % 32 != 0 || block_x < 32 * ((world + 31) / 32) || block_x > 256)
    return kne::Fail(KNE_INVALID_ARGUMENT, "block_x = %u must be a multiple of 32 in [32, 256] with a thread per rank", block_x);
  if (x == nullptr || residual == nullptr || y == nullptr || weight == nullptr || status == nullptr)
    return kne::Fail(KNE_INVALID_ARGUMENT, "null argument");
  if (algorithm != KNE_FUSED_ONE_SHOT && algorithm != KNE_FUSED_TWO_SHOT)
    return kne::Fail(KNE_INVALID_ARGUMENT, "algorithm = %d is not a kne_fused_algorithm", static_cast<int>(algorithm));
  switch (dtype) {
    case KNE_F32: return Run<kn::F32Storage>(algorithm, world, x, residual, weight, y, rows, cols, eps, launches, run_mask, timeout_polls, status, grid_x, block_x);
    case KNE_F16: return Run<kn::F16Storage>(algorithm, world, x, residual, weight, y, rows, cols, eps, launches, run_mask, timeout_polls, status, grid_x, block_x);
    case KNE_BF16: return Run<kn::BF16Storage>(algorithm, world, x, residual, weight, y, rows, cols, eps, launches, run_mask, timeout_polls, status, grid_x, block_x);
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "dtype = %d is not a kne_dtype", static_cast<int>(dtype));
}

KNE_API uint64_t kne_fused_norm_args_bytes(void) { return sizeof(kn::FusedNormArgs); }

}  // extern "C"
