// Probe kernels for the emulator's own tests (kne_probe_run): each exercises one feature of
// cuda_emu.h, or misuses one, so the tests can check results and diagnostics.
namespace kn_probe {

__global__ void shuffles(int* out) {
  const int t = threadIdx.x;
  int* mine = out + t * 4;
  mine[0] = __shfl_sync(0xFFFFFFFFu, t, (t + 5) % 32);
  mine[1] = __shfl_up_sync(0xFFFFFFFFu, t, 3, 8);
  mine[2] = __shfl_down_sync(0xFFFFFFFFu, t, 3, 8);
  mine[3] = __shfl_xor_sync(0xFFFFFFFFu, t, 5);
}

__global__ void votes(int* out) {
  const int t = threadIdx.x;
  const int predicate = t % 3 == 0;
  out[t * 3 + 0] = static_cast<int>(__ballot_sync(0xFFFFFFFFu, predicate));
  out[t * 3 + 1] = __any_sync(0xFFFFFFFFu, predicate);
  out[t * 3 + 2] = __all_sync(0xFFFFFFFFu, predicate);
}

__global__ void shared_and_atomics(int* out) {
  __shared__ int total;
  if (threadIdx.x == 0) total = 0;
  __syncthreads();
  atomicAdd(&total, static_cast<int>(threadIdx.x));
  __syncthreads();
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

// Each half-warp reduces 64-bit values with its own mask and width 16 (as onebit.cu's chunk scales do); the upper
// halves run 3 rounds, the lower 1, so the halves of a warp are never at the same shuffle. Lane 0 of half h writes
// out[2h] = the 2^40 multiples (16 per round) and out[2h + 1] = the sum of the half's thread indices per round.
__global__ void half_warps(int* out) {
  const unsigned half_warp_mask = 0xFFFFu << (threadIdx.x & 16u);
  const int rounds = threadIdx.x & 16u ? 3 : 1;
  unsigned long long total = 0;
  for (int r = 0; r < rounds; ++r) {
    unsigned long long v = (1ull << 40) + threadIdx.x;
    for (unsigned width = 8; width >= 1; width /= 2) v += __shfl_down_sync(half_warp_mask, v, width, 16);
    total += v;
  }
  if (threadIdx.x % 16 == 0) {
    out[threadIdx.x / 16 * 2] = static_cast<int>(total >> 40);
    out[threadIdx.x / 16 * 2 + 1] = static_cast<int>(total & 0xFFFFFFu);
  }
}

__global__ void barrier_skipped(int* out) {
  if (threadIdx.x < 5) {
    __syncthreads();
  } else {
    __syncwarp();
  }
  out[threadIdx.x] = 1;
}

__global__ void exited_lane(int* out) {
  if (threadIdx.x % 32 == 3) return;
  out[threadIdx.x] = __shfl_sync(0xFFFFFFFFu, static_cast<int>(threadIdx.x), 0);
}

__global__ void trap(int* out) {
  if (threadIdx.x == 7) __trap();
  out[threadIdx.x] = 1;
}

}  // namespace kn_probe
