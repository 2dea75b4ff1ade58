// Warp shuffles, votes and __syncwarp for host compilation: each parks the calling fiber until
// every lane named by the mask has arrived (see emu_scheduler.h), as on Volta and later GPUs.
#ifndef CUDA_EMU_WARP_H_
#define CUDA_EMU_WARP_H_

#include <cstdint>
#include <cstring>

#include "emu_scheduler.h"

namespace cuda_emu {

// Shuffles move the operand's bytes (any type up to 8 bytes, as CUDA's overloads allow).
template <class T>
T Shuffle(WarpOp op, unsigned mask, T var, int lane_arg, int width) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "shuffle operands are at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  bits = WarpCollective(op, mask, bits, lane_arg, width);
  std::memcpy(&var, &bits, sizeof(T));
  return var;
}

}  // namespace cuda_emu

template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  return cuda_emu::Shuffle(cuda_emu::WarpOp::Shfl, mask, var, src_lane, width);
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return cuda_emu::Shuffle(cuda_emu::WarpOp::ShflUp, mask, var, static_cast<int>(delta), width);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return cuda_emu::Shuffle(cuda_emu::WarpOp::ShflDown, mask, var, static_cast<int>(delta), width);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  return cuda_emu::Shuffle(cuda_emu::WarpOp::ShflXor, mask, var, lane_mask, width);
}

inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return static_cast<unsigned>(cuda_emu::WarpCollective(cuda_emu::WarpOp::Ballot, mask, predicate != 0, 0, warpSize));
}
inline int __any_sync(unsigned mask, int predicate) {
  return static_cast<int>(cuda_emu::WarpCollective(cuda_emu::WarpOp::Any, mask, predicate != 0, 0, warpSize));
}
inline int __all_sync(unsigned mask, int predicate) {
  return static_cast<int>(cuda_emu::WarpCollective(cuda_emu::WarpOp::All, mask, predicate != 0, 0, warpSize));
}
inline void __syncwarp(unsigned mask = 0xFFFFFFFFu) {
  cuda_emu::WarpCollective(cuda_emu::WarpOp::Sync, mask, 0, 0, warpSize);
}
inline void __syncthreads() { cuda_emu::BlockBarrier(); }

#endif  // CUDA_EMU_WARP_H_
