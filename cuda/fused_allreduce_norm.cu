// Fused all-reduce (Sum) + residual add + RMSNorm across the GPUs of one node with peer access, the
// GPU form of Communicator.AllReduceAddRmsNorm:
//   s = round(x_0 + x_1 + ... + x_(n-1))      fp32 sum in rank order, rounded to storage
//   residual = round(s + residual)            written back
//   y = residual / sqrt(mean(residual^2) + eps) * weight     per row
// Every rank launches the same kernel with the same shape and arguments except `rank`. Each rank
// owns a workspace in its device memory; the other ranks see it through IPC-mapped pointers
// (cuIpcOpenMemHandle), all of them listed in `workspaces` in rank order.
//
// Workspace layout (bytes): [flags: kPhases * kMaxBlocks * kMaxRanks uint32][status: uint32]
// [pad to 256][input copy: rows * cols][two-shot only: normalised rows][two-shot only: residual rows]
//
// Synchronisation is by barrier flags, as TensorRT-LLM's custom all-reduce does: block b of rank r
// publishes its data, fences at system scope, then thread t < world writes the launch's `epoch` into
// slot (phase, b, r) of rank t's flags and waits until its own slot (phase, b, t) holds `epoch`.
// Only block b of each rank meets block b of the others, so the row partition below is the same on
// every rank: block b handles rows b, b + gridDim.x, ... of the range it works on. Epochs grow by
// one per launch and every phase has its own slots, so flags are never reset.
//   one-shot (small messages): copy x in; barrier 0; every rank reduces + normalises all rows from
//     all peers' copies; barrier 1 (nobody overwrites a copy a peer still reads).
//   two-shot (large): copy x in; barrier 0; rank r reduces + normalises its row shard (ShardOf over
//     rows) into its workspace; barrier 1; every rank copies each owner's normalised and residual
//     rows out; barrier 2.
// A wait gives up after `timeout_polls` polls (about 1 us apart): it records 1 + the missing rank
// in its own status word, the block leaves, and the host turns that into an exception, so a dead
// peer never hangs the device. Summation order within a row is fixed by the launch shape and the
// alignment (128-bit path when every base is 16-byte aligned and cols % 8 == 0). CudaFusedAllReduce
// passes whole DeviceBuffers (cuMemAlloc: 256-byte aligned), so every rank takes the same path and
// computes the same bits.
#include "float_storage.cuh"

namespace kn {

constexpr unsigned kFusedMaxRanks = 8;
constexpr unsigned kFusedMaxBlocks = 128;
constexpr unsigned kFusedPhases = 3;
constexpr unsigned long long kFusedFlagWords = kFusedPhases * kFusedMaxBlocks * kFusedMaxRanks;
constexpr unsigned long long kFusedDataOffset = ((kFusedFlagWords + 1) * 4 + 255) & ~255ull;

struct FusedNormArgs {
  void* workspaces[kFusedMaxRanks];  // every rank's workspace as this rank addresses it; [rank] is its own
  const void* x;                     // (rows, cols) this rank's contribution
  void* residual;                    // (rows, cols) same values on every rank; updated
  const void* weight;                // (cols)
  void* y;                           // (rows, cols); may alias x
  unsigned long long rows;
  unsigned long long cols;
  float eps;
  unsigned rank;
  unsigned world;                    // 1..kFusedMaxRanks
  unsigned epoch;                    // nonzero, one more than the previous launch on these workspaces
  unsigned timeout_polls;
};

__device__ __forceinline__ unsigned* FlagSlots(void* workspace) { return static_cast<unsigned*>(workspace); }
__device__ __forceinline__ unsigned* StatusWord(void* workspace) { return static_cast<unsigned*>(workspace) + kFusedFlagWords; }

template <class S>
__device__ __forceinline__ typename S::Bits* Region(void* workspace, unsigned long long elements, int index) {
  return reinterpret_cast<typename S::Bits*>(static_cast<char*>(workspace) + kFusedDataOffset) + elements * index;
}

// Meets block blockIdx.x of every rank at `phase`. False when a peer did not arrive in time (the
// status word says which): the whole block then returns.
__device__ __forceinline__ bool CrossRankBarrier(const FusedNormArgs& a, unsigned phase) {
  __shared__ unsigned timed_out;
  if (threadIdx.x == 0) timed_out = 0;
  __syncthreads();  // the block's data writes are done before any flag goes out
  if (threadIdx.x < a.world) {
    const unsigned peer = threadIdx.x;
    const unsigned long long slot = (static_cast<unsigned long long>(phase) * kFusedMaxBlocks + blockIdx.x) * kFusedMaxRanks;
    __threadfence_system();  // release: this block's writes are visible to the peer before the flag
    volatile unsigned* to_peer = FlagSlots(a.workspaces[peer]) + slot + a.rank;
    *to_peer = a.epoch;
    volatile unsigned* from_peer = FlagSlots(a.workspaces[a.rank]) + slot + peer;
    unsigned polls = 0;
    while (*from_peer != a.epoch) {
      if (++polls > a.timeout_polls) {
        *static_cast<volatile unsigned*>(StatusWord(a.workspaces[a.rank])) = peer + 1;
        timed_out = 1;
        break;
      }
      __nanosleep(1000);
    }
    __threadfence_system();  // acquire: the peer's data is read after its flag
  }
  __syncthreads();
  return timed_out == 0;
}

// Sum over the block; every thread gets the same value. blockDim.x is a multiple of 32, at most 256.
// Launch bounds (256, 4): 4 blocks per SM leave 64 registers per thread. With (1024) the 128-bit
// path spilled at 64 registers, and with (256) alone ptxas 11.8 aimed sm_90 at full occupancy
// (32 registers) and spilled too.
__device__ __forceinline__ float FusedBlockSum(float v) {
  __shared__ float warp_sums[32];
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.0f;
  for (unsigned w = 0; w < blockDim.x / 32; ++w) total += warp_sums[w];
  __syncthreads();  // warp_sums is rewritten by the next row
  return total;
}

// 128-bit accesses need every row start aligned: aligned bases (workspaces included) and cols a
// multiple of 8. Region offsets are then multiples of 16 bytes too (rows * cols elements each).
__device__ __forceinline__ bool FusedVectorisable(const FusedNormArgs& a) {
  bool aligned = a.cols % 8 == 0 && Aligned16(a.x) && Aligned16(a.residual) && Aligned16(a.weight) && Aligned16(a.y);
  for (unsigned r = 0; r < a.world; ++r) aligned = aligned && Aligned16(a.workspaces[r]);
  return aligned;
}

// Reduces row `row` over every rank's input copy, adds it into `residual_out`, normalises into
// `y_out`. Sums start from rank 0's value and add ranks in order (the CPU's order, signed zeros
// included). Thread t owns the same columns in both passes (t, t + blockDim.x, ... or groups of 8
// when vectorised), so the residual it wrote is re-read by the same thread without a barrier.
template <class S>
__device__ __forceinline__ void ReduceNormalizeRow(const FusedNormArgs& a, unsigned long long row,
                                                   const typename S::Bits* residual_in, typename S::Bits* residual_out,
                                                   typename S::Bits* y_out, bool vectorised) {
  using Bits = typename S::Bits;
  const unsigned long long elements = a.rows * a.cols, offset = row * a.cols;
  const Bits* w = static_cast<const Bits*>(a.weight);
  float squares = 0.0f;
  if (vectorised) {
    for (unsigned long long c = 8ull * threadIdx.x; c < a.cols; c += 8ull * blockDim.x) {
      Pack8<S> sum, other;
      sum.Load(Region<S>(a.workspaces[0], elements, 0) + offset + c);
      for (unsigned r = 1; r < a.world; ++r) {
        other.Load(Region<S>(a.workspaces[r], elements, 0) + offset + c);
#pragma unroll
        for (int j = 0; j < 8; ++j) sum.v[j] += other.v[j];
      }
      sum.Round();
      other.Load(residual_in + offset + c);
#pragma unroll
      for (int j = 0; j < 8; ++j) sum.v[j] += other.v[j];
      sum.Round();
      sum.Store(residual_out + offset + c);
#pragma unroll
      for (int j = 0; j < 8; ++j) squares = fmaf(sum.v[j], sum.v[j], squares);
    }
  } else {
    for (unsigned long long c = threadIdx.x; c < a.cols; c += blockDim.x) {
      float sum = S::ToFloat(Region<S>(a.workspaces[0], elements, 0)[offset + c]);
      for (unsigned r = 1; r < a.world; ++r) sum += S::ToFloat(Region<S>(a.workspaces[r], elements, 0)[offset + c]);
      const Bits updated = S::FromFloat(S::ToFloat(S::FromFloat(sum)) + S::ToFloat(residual_in[offset + c]));
      residual_out[offset + c] = updated;
      const float v = S::ToFloat(updated);
      squares = fmaf(v, v, squares);
    }
  }
  // IEEE division and square root, as rms_norm.cu and the CPU kernels compute it.
  const float inv = 1.0f / sqrtf(FusedBlockSum(squares) / static_cast<float>(a.cols) + a.eps);
  if (vectorised) {
    for (unsigned long long c = 8ull * threadIdx.x; c < a.cols; c += 8ull * blockDim.x) {
      Pack8<S> v, weight;
      v.Load(residual_out + offset + c);
      weight.Load(w + c);
#pragma unroll
      for (int j = 0; j < 8; ++j) v.v[j] = v.v[j] * inv * weight.v[j];
      v.Store(y_out + offset + c);
    }
  } else {
    for (unsigned long long c = threadIdx.x; c < a.cols; c += blockDim.x)
      y_out[offset + c] = S::FromFloat(S::ToFloat(residual_out[offset + c]) * inv * S::ToFloat(w[c]));
  }
}

// First row and row count of rank r's shard: rows / world each, the first rows % world ranks one more
// (Communicator.ShardOf).
__device__ __forceinline__ void RowShard(const FusedNormArgs& a, unsigned r, unsigned long long* first,
                                         unsigned long long* count) {
  const unsigned long long base = a.rows / a.world, extra = a.rows % a.world;
  *first = r * base + (r < extra ? r : extra);
  *count = base + (r < extra ? 1 : 0);
}

// Copies, bit for bit, the rows [first, first + count) that block blockIdx.x handles (rows first + b,
// first + b + gridDim.x, ...): 16 bytes per access when vectorised.
template <class S>
__device__ __forceinline__ void CopyRows(const typename S::Bits* from, typename S::Bits* to, unsigned long long cols,
                                         unsigned long long first, unsigned long long count, bool vectorised) {
  constexpr unsigned kPerAccess = 16 / sizeof(typename S::Bits);
  for (unsigned long long row = first + blockIdx.x; row < first + count; row += gridDim.x) {
    if (vectorised) {
      const uint4* source = reinterpret_cast<const uint4*>(from + row * cols);
      uint4* target = reinterpret_cast<uint4*>(to + row * cols);
      for (unsigned long long q = threadIdx.x; q < cols / kPerAccess; q += blockDim.x) target[q] = source[q];
    } else {
      for (unsigned long long c = threadIdx.x; c < cols; c += blockDim.x) to[row * cols + c] = from[row * cols + c];
    }
  }
}

template <class S>
__global__ void __launch_bounds__(256, 4) fused_allreduce_norm_one_shot(FusedNormArgs a) {
  using Bits = typename S::Bits;
  const unsigned long long elements = a.rows * a.cols;
  const bool vectorised = FusedVectorisable(a);
  CopyRows<S>(static_cast<const Bits*>(a.x), Region<S>(a.workspaces[a.rank], elements, 0), a.cols, 0, a.rows, vectorised);
  if (!CrossRankBarrier(a, 0)) return;
  Bits* residual = static_cast<Bits*>(a.residual);
  for (unsigned long long row = blockIdx.x; row < a.rows; row += gridDim.x)
    ReduceNormalizeRow<S>(a, row, residual, residual, static_cast<Bits*>(a.y), vectorised);
  CrossRankBarrier(a, 1);
}

template <class S>
__global__ void __launch_bounds__(256, 4) fused_allreduce_norm_two_shot(FusedNormArgs a) {
  using Bits = typename S::Bits;
  const unsigned long long elements = a.rows * a.cols;
  const bool vectorised = FusedVectorisable(a);
  // Only the rows an owner's block b reduces are copied in by block b of each rank.
  for (unsigned r = 0; r < a.world; ++r) {
    unsigned long long first, count;
    RowShard(a, r, &first, &count);
    CopyRows<S>(static_cast<const Bits*>(a.x), Region<S>(a.workspaces[a.rank], elements, 0), a.cols, first, count, vectorised);
  }
  if (!CrossRankBarrier(a, 0)) return;
  unsigned long long first, count;
  RowShard(a, a.rank, &first, &count);
  Bits* own_y = Region<S>(a.workspaces[a.rank], elements, 1);
  Bits* own_residual = Region<S>(a.workspaces[a.rank], elements, 2);
  for (unsigned long long row = first + blockIdx.x; row < first + count; row += gridDim.x)
    ReduceNormalizeRow<S>(a, row, static_cast<const Bits*>(a.residual), own_residual, own_y, vectorised);
  if (!CrossRankBarrier(a, 1)) return;
  for (unsigned r = 0; r < a.world; ++r) {
    RowShard(a, r, &first, &count);
    CopyRows<S>(Region<S>(a.workspaces[r], elements, 1), static_cast<Bits*>(a.y), a.cols, first, count, vectorised);
    CopyRows<S>(Region<S>(a.workspaces[r], elements, 2), static_cast<Bits*>(a.residual), a.cols, first, count, vectorised);
  }
  CrossRankBarrier(a, 2);
}

}  // namespace kn
