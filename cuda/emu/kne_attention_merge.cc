// kne_attention_merge: cuda/attention_merge.cu under the emulator.
#include "attention_merge.cu"

#include "kne_error.h"

extern "C" {

KNE_API kne_status kne_attention_merge(kne_dtype dtype, const void* o_a, const float* lse_a, const void* o_b,
                                       const float* lse_b, void* o, float* lse, uint64_t rows, uint64_t value_dim,
                                       uint32_t grid_x, uint32_t block_x) {
  if (rows != 0 && !(o_a && lse_a && o_b && lse_b && o && lse))
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_attention_merge: null buffer with rows = %llu", static_cast<unsigned long long>(rows));
  const kn::MergeArgs args{o_a, lse_a, o_b, lse_b, o, lse, rows, value_dim};
  const dim3 grid(grid_x), block(block_x);
  switch (dtype) {
    case KNE_F32: return kne::FromLaunch(emu_launch(kn::attention_merge<kn::F32Storage>, grid, block, 0, args));
    case KNE_F16: return kne::FromLaunch(emu_launch(kn::attention_merge<kn::F16Storage>, grid, block, 0, args));
    case KNE_BF16: return kne::FromLaunch(emu_launch(kn::attention_merge<kn::BF16Storage>, grid, block, 0, args));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_attention_merge: dtype = %d is not a kne_dtype", static_cast<int>(dtype));
}

KNE_API uint64_t kne_merge_args_bytes(void) { return sizeof(kn::MergeArgs); }

}  // extern "C"
