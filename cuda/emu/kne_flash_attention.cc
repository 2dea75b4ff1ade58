// kne_flash_attention: cuda/flash_attention.cu under the emulator, with the launch shape the C# operator uses.
#include "flash_attention.cu"

#include "kne_error.h"

namespace {

template <class S, int D>
kne_status Forward(const kn::FlashForwardArgs& args, uint32_t batch) {
  const dim3 grid((args.seq_q + kn::kFlashBlockM - 1) / kn::kFlashBlockM, args.heads, batch);
  return kne::FromLaunch(emu_launch((kn::flash_attention_forward<S, D>), grid, dim3(kn::kFlashThreads), 0, args));
}

}  // namespace

extern "C" {

KNE_API kne_status kne_flash_attention_forward(kne_dtype dtype, const void* q, const void* k, const void* v, void* o,
                                               float* lse, uint32_t batch, uint32_t seq_q, uint32_t seq_k,
                                               uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                                               const int64_t* strides, float scale, float softcap, int32_t causal,
                                               int32_t window_left, int32_t window_right, int32_t vector_loads) {
  if (batch == 0 || seq_q == 0) return KNE_OK;
  if (!(q && o && lse && strides) || (seq_k != 0 && !(k && v)) || kv_heads == 0 || heads % kv_heads != 0)
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_flash_attention_forward: null buffer or heads = %u not a multiple of kv_heads = %u",
                     heads, kv_heads);
  const kn::FlashForwardArgs args{q, k, v, o, lse,
                                  strides[0], strides[1], strides[2], strides[3], strides[4], strides[5],
                                  strides[6], strides[7], strides[8], strides[9], strides[10], strides[11],
                                  static_cast<int>(seq_q), static_cast<int>(seq_k), static_cast<int>(heads),
                                  static_cast<int>(heads / kv_heads), scale, softcap, causal, window_left, window_right,
                                  vector_loads};
  if (dtype == KNE_F16 && head_dim == 64) return Forward<kn::F16Storage, 64>(args, batch);
  if (dtype == KNE_F16 && head_dim == 128) return Forward<kn::F16Storage, 128>(args, batch);
  if (dtype == KNE_BF16 && head_dim == 64) return Forward<kn::BF16Storage, 64>(args, batch);
  if (dtype == KNE_BF16 && head_dim == 128) return Forward<kn::BF16Storage, 128>(args, batch);
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_flash_attention_forward: dtype = %d with head_dim = %u has no kernel",
                   static_cast<int>(dtype), head_dim);
}

KNE_API uint64_t kne_flash_forward_args_bytes(void) { return sizeof(kn::FlashForwardArgs); }

}  // extern "C"
