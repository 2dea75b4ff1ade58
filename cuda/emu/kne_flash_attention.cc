// kne_flash_attention: cuda/flash_attention.cu and cuda/flash_attention_backward.cu under the emulator, with the launch
// shapes the C# operator uses.
#include "flash_attention.cu"
#include "flash_attention_backward.cu"

#include "kne_error.h"

namespace {

kn::FlashProblem Problem(uint32_t seq_q, uint32_t seq_k, uint32_t heads, uint32_t kv_heads, const int64_t* strides,
                         float scale, float softcap, int32_t causal, int32_t window_left, int32_t window_right,
                         int32_t vector_loads) {
  return kn::FlashProblem{strides[0], strides[1], strides[2], strides[3], strides[4], strides[5],
                          strides[6], strides[7], strides[8], strides[9], strides[10], strides[11],
                          static_cast<int>(seq_q), static_cast<int>(seq_k), static_cast<int>(heads),
                          static_cast<int>(heads / kv_heads), scale, softcap, causal, window_left, window_right,
                          vector_loads};
}

// Runs Launch::Run<S, D>(args...) for the kernels' storage and head dim, or fails naming them.
template <class Launch, class... Args>
kne_status Dispatch(const char* entry, kne_dtype dtype, uint32_t head_dim, const Args&... args) {
  if (dtype == KNE_F16 && head_dim == 64) return Launch::template Run<kn::F16Storage, 64>(args...);
  if (dtype == KNE_F16 && head_dim == 128) return Launch::template Run<kn::F16Storage, 128>(args...);
  if (dtype == KNE_BF16 && head_dim == 64) return Launch::template Run<kn::BF16Storage, 64>(args...);
  if (dtype == KNE_BF16 && head_dim == 128) return Launch::template Run<kn::BF16Storage, 128>(args...);
  return kne::Fail(KNE_INVALID_ARGUMENT, "%s: dtype = %d with head_dim = %u has no kernel", entry,
                   static_cast<int>(dtype), head_dim);
}

// Grid (ceil(seq_q / 64), heads, batch).
struct ForwardLaunch {
  template <class S, int D>
  static kne_status Run(const kn::FlashForwardArgs& args, uint32_t batch) {
    const dim3 grid((args.problem.seq_q + kn::kFlashBlockM - 1) / kn::kFlashBlockM, args.problem.heads, batch);
    return kne::FromLaunch(emu_launch((kn::flash_attention_forward<S, D>), grid, dim3(kn::kFlashThreads), 0, args));
  }
};

// dK/dV on grid (ceil(seq_k / 64), kv_heads, batch), then dQ on grid (ceil(seq_q / 64), heads, batch).
struct BackwardLaunch {
  template <class S, int D>
  static kne_status Run(const kn::FlashBackwardArgs& args, uint32_t batch, uint32_t kv_heads) {
    const kn::FlashProblem& p = args.problem;
    if (p.seq_k > 0) {
      const dim3 grid((p.seq_k + kn::kFlashBlockM - 1) / kn::kFlashBlockM, kv_heads, batch);
      const kne_status status = kne::FromLaunch(
          emu_launch((kn::flash_attention_backward_dkdv<S, D>), grid, dim3(kn::kFlashThreads), 0, args));
      if (status != KNE_OK) return status;
    }
    if (p.seq_q == 0) return KNE_OK;
    const dim3 grid((p.seq_q + kn::kFlashBlockM - 1) / kn::kFlashBlockM, p.heads, batch);
    return kne::FromLaunch(emu_launch((kn::flash_attention_backward_dq<S, D>), grid, dim3(kn::kFlashThreads), 0, args));
  }
};

}  // namespace

extern "C" {

KNE_API kne_status kne_flash_attention_forward(kne_dtype dtype, const void* q, const void* k, const void* v, void* o,
                                               float* lse, uint32_t batch, uint32_t seq_q, uint32_t seq_k,
                                               uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                                               const int64_t* strides, float scale, float softcap, int32_t causal,
                                               int32_t window_left, int32_t window_right, int32_t vector_loads) {
  if (batch == 0 || seq_q == 0) return KNE_OK;
  if (!(q && o && lse && strides) || (seq_k != 0 && !(k && v)) || kv_heads == 0 || heads % kv_heads != 0)
    return kne::Fail(KNE_INVALID_ARGUMENT,
                     "kne_flash_attention_forward: null buffer or heads = %u not a multiple of kv_heads = %u", heads,
                     kv_heads);
  const kn::FlashForwardArgs args{q, k, v, o, lse,
                                  Problem(seq_q, seq_k, heads, kv_heads, strides, scale, softcap, causal, window_left,
                                          window_right, vector_loads)};
  return Dispatch<ForwardLaunch>("kne_flash_attention_forward", dtype, head_dim, args, batch);
}

KNE_API kne_status kne_flash_attention_backward(kne_dtype dtype, const void* q, const void* k, const void* v,
                                                const void* o, const float* lse, const void* d_o, void* dq, void* dk,
                                                void* dv, uint32_t batch, uint32_t seq_q, uint32_t seq_k,
                                                uint32_t heads, uint32_t kv_heads, uint32_t head_dim,
                                                const int64_t* strides, float scale, float softcap, int32_t causal,
                                                int32_t window_left, int32_t window_right, int32_t vector_loads) {
  if (batch == 0 || (seq_q == 0 && seq_k == 0)) return KNE_OK;
  if (!strides || (seq_q != 0 && !(q && o && lse && d_o && dq)) || (seq_k != 0 && !(k && v && dk && dv)) ||
      kv_heads == 0 || heads % kv_heads != 0)
    return kne::Fail(KNE_INVALID_ARGUMENT,
                     "kne_flash_attention_backward: null buffer or heads = %u not a multiple of kv_heads = %u", heads,
                     kv_heads);
  const kn::FlashBackwardArgs args{q, k, v, o, lse, d_o, dq, dk, dv,
                                   Problem(seq_q, seq_k, heads, kv_heads, strides, scale, softcap, causal, window_left,
                                           window_right, vector_loads)};
  return Dispatch<BackwardLaunch>("kne_flash_attention_backward", dtype, head_dim, args, batch, kv_heads);
}

KNE_API uint64_t kne_flash_forward_args_bytes(void) { return sizeof(kn::FlashForwardArgs); }
KNE_API uint64_t kne_flash_backward_args_bytes(void) { return sizeof(kn::FlashBackwardArgs); }

}  // extern "C"
