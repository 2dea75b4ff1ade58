// kne_reduce / kne_reduce_accumulate: cuda/reduce.cu under the emulator.
#include "reduce.cu"

#include "kne_error.h"

namespace {

template <class S>
kne_status LaunchReduce(kne_reduce_op op, const kn::ReduceArgs& args, dim3 grid, dim3 block) {
  switch (op) {
    case KNE_OP_SUM: return kne::FromLaunch(emu_launch((kn::reduce_elements<S, kn::SumOp>), grid, block, 0, args));
    case KNE_OP_MAX: return kne::FromLaunch(emu_launch((kn::reduce_elements<S, kn::MaxOp>), grid, block, 0, args));
    case KNE_OP_MIN: return kne::FromLaunch(emu_launch((kn::reduce_elements<S, kn::MinOp>), grid, block, 0, args));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_reduce: op = %d is not a kne_reduce_op", static_cast<int>(op));
}

kne_status Reduce(kne_dtype dtype, kne_reduce_op op, const kn::ReduceArgs& args, uint32_t grid_x, uint32_t block_x) {
  if (args.count != 0 && (args.a == nullptr || args.b == nullptr || args.dst == nullptr))
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_reduce: null buffer with count = %llu", args.count);
  switch (dtype) {
    case KNE_F32: return LaunchReduce<kn::F32Storage>(op, args, grid_x, block_x);
    case KNE_F16: return LaunchReduce<kn::F16Storage>(op, args, grid_x, block_x);
    case KNE_BF16: return LaunchReduce<kn::BF16Storage>(op, args, grid_x, block_x);
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_reduce: dtype = %d is not a kne_dtype", static_cast<int>(dtype));
}

}  // namespace

extern "C" {

KNE_API kne_status kne_reduce(kne_dtype dtype, kne_reduce_op op, const void* a, const void* b, void* dst,
                              uint64_t count, float scale, uint32_t grid_x, uint32_t block_x) {
  return Reduce(dtype, op, kn::ReduceArgs{a, b, dst, count, scale}, grid_x, block_x);
}

KNE_API kne_status kne_reduce_accumulate(kne_dtype dtype, kne_reduce_op op, void* dst, const void* src,
                                         uint64_t count, float scale, uint32_t grid_x, uint32_t block_x) {
  return Reduce(dtype, op, kn::ReduceArgs{dst, src, dst, count, scale}, grid_x, block_x);
}

}  // extern "C"

extern "C" KNE_API uint64_t kne_reduce_args_bytes(void) { return sizeof(kn::ReduceArgs); }
