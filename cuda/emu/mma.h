// nvcuda::wmma for host compilation: the 16x16x16 fragments, loads, stores and mma_sync of CUDA's
// <mma.h> for __half, __nv_bfloat16 and float accumulators. The emulator's include folder comes first,
// so a kernel's `#include <mma.h>` finds this file under g++ and the real header under NVRTC.
//
// CUDA leaves the element-to-lane mapping of fragments unspecified, so kernels may only move tiles
// through memory (load/store_matrix_sync) or apply one operation to every element. Here every lane
// holds the whole tile, which keeps that contract and nothing more:
//   load_matrix_sync   each lane reads the whole tile, then waits for the warp: a lane that reads
//                      memory its warp has not finished writing (a missing __syncwarp) sees stale data;
//   mma_sync           lane 0 computes the tile once into a warp scratch slot, the warp meets, every
//                      lane copies the result (slots alternate, so lane 0 can run ahead by one call);
//   store_matrix_sync  the warp meets, then each lane writes its own eighth-of-a-row slice, so a lane
//                      that reads another lane's slice before a __syncwarp sees stale data.
// All of them are warp operations with a full mask: a lane that skips one deadlocks or fails the launch,
// as divergent WMMA is undefined on the GPU. Products of 16-bit inputs are exact in fp32; sums run in k
// order in fp32 (tensor cores may add in another order, within the same precision).
#ifndef CUDA_EMU_MMA_H_
#define CUDA_EMU_MMA_H_

#include <cstdint>

#include "emu_scheduler.h"

#if __has_include(<cuda_fp16.h>)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static_assert(M == 16 && N == 16 && K == 16, "the emulator provides the 16x16x16 shape only");
  static constexpr int num_elements = 256;
  T x[num_elements];  // the whole tile, row-major in the operand's logical (rows, cols)
};

}  // namespace wmma
}  // namespace nvcuda

namespace cuda_emu {
namespace wmma_emu {

inline float ToFloat(float v) { return v; }
inline float ToFloat(__half v) { return __half2float(v); }
inline float ToFloat(__nv_bfloat16 v) { return __bfloat162float(v); }

inline int Lane() {
  const unsigned linear = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  return static_cast<int>(linear % warpSize);
}
inline int Warp() {
  const unsigned linear = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  return static_cast<int>(linear / warpSize);
}

// The warp meets; returns lane 0's value.
inline uint64_t Meet(uint64_t value) { return WarpCollective(WarpOp::Matrix, 0xFFFFFFFFu, value, 0, warpSize); }

// CUDA's rules for a tile in memory: 256-bit aligned, ldm a multiple of 16 bytes.
template <class T>
void CheckTile(const T* p, unsigned ldm) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0 || (ldm * sizeof(T)) % 16 != 0 || ldm < 16) Trap();
}

// Element (r, c) of a 16x16 tile stored with leading dimension ldm.
inline unsigned Offset(int r, int c, unsigned ldm, bool row_major) {
  return row_major ? static_cast<unsigned>(r) * ldm + c : static_cast<unsigned>(c) * ldm + r;
}

template <class T>
void LoadTile(T* tile, const T* p, unsigned ldm, bool row_major) {
  CheckTile(p, ldm);
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) tile[r * 16 + c] = p[Offset(r, c, ldm, row_major)];
  Meet(0);
}

// Two result slots per warp of the largest block: see mma_sync above.
inline thread_local float g_mma_slots[1024 / 32][2][256];
inline thread_local unsigned g_mma_turn[1024 / 32];

}  // namespace wmma_emu
}  // namespace cuda_emu

namespace nvcuda {
namespace wmma {

template <class Use, int M, int N, int K, class T, class Layout, class V>
inline void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, const V& value) {
  for (T& e : f.x) e = static_cast<T>(value);
}

template <class Use, class T, class Layout>
inline void load_matrix_sync(fragment<Use, 16, 16, 16, T, Layout>& f, const T* p, unsigned ldm) {
  cuda_emu::wmma_emu::LoadTile(f.x, p, ldm, std::is_same_v<Layout, row_major>);
}

inline void load_matrix_sync(fragment<accumulator, 16, 16, 16, float>& f, const float* p, unsigned ldm, layout_t layout) {
  cuda_emu::wmma_emu::LoadTile(f.x, p, ldm, layout == mem_row_major);
}

inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 16, float>& f, unsigned ldm, layout_t layout) {
  using namespace cuda_emu::wmma_emu;
  CheckTile(p, ldm);
  Meet(0);
  const int slice = warpSize - 1 - Lane();  // lanes run in order: the first ones write what the last ones read
  const int row = slice / 2, first = slice % 2 * 8;
  for (int c = first; c < first + 8; ++c) p[Offset(row, c, ldm, layout == mem_row_major)] = f.x[row * 16 + c];
}

template <class T, class LayoutA, class LayoutB>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float>& d, const fragment<matrix_a, 16, 16, 16, T, LayoutA>& a,
                     const fragment<matrix_b, 16, 16, 16, T, LayoutB>& b, const fragment<accumulator, 16, 16, 16, float>& c) {
  using namespace cuda_emu::wmma_emu;
  const int warp = Warp();
  unsigned slot = 0;
  if (Lane() == 0) {
    slot = g_mma_turn[warp]++ & 1u;
    float* out = g_mma_slots[warp][slot];
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 16; ++j) {
        float sum = c.x[i * 16 + j];
        for (int k = 0; k < 16; ++k) sum += ToFloat(a.x[i * 16 + k]) * ToFloat(b.x[k * 16 + j]);
        out[i * 16 + j] = sum;
      }
  }
  slot = static_cast<unsigned>(Meet(slot));
  const float* result = g_mma_slots[warp][slot];
  for (int i = 0; i < 256; ++i) d.x[i] = result[i];
}

}  // namespace wmma
}  // namespace nvcuda

#endif  // CUDA_EMU_MMA_H_
