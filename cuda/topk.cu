// Top-k by magnitude with the CPU kernel's selection and order (cpp/src/compress/topk.cc): the
// magnitude key is x's bits with the sign cleared (every NaN one key above +Inf), the k largest keys
// win, ties at the k-th key go to the lower indices, and the output is sorted by index.
// Radix select finds the k-th largest key T exactly (digits of 11, 11 and 9 bits, most significant
// first; each digit's histogram counts only keys sharing the digits found so far). Then a stable
// compaction in tiles of kTopKTile elements keeps every key > T and the first k - above keys == T.
// Launch order (one stream): topk_clear, then per digit topk_histogram + topk_choose_digit, then
// topk_count_tiles, topk_scan_tiles, topk_emit_tiles.
namespace kn {

constexpr unsigned kTopKDigits = 3;
constexpr unsigned kTopKBuckets = 2048;  // 2^11, the widest digit
constexpr unsigned long long kTopKTile = 1024;  // elements per tile: a warp, 32 steps of 32

// state: [0] the key prefix found so far, [1] keys above it, [2 .. 2 + kTopKBuckets) the histogram.
constexpr unsigned kTopKStateWords = 2 + kTopKBuckets;

// Kernel parameters, passed by value; the same block for every launch of one top-k.
struct TopKArgs {
  const float* x;            // (n)
  unsigned int* indices;     // (k)
  float* values;             // (k)
  unsigned int* state;       // (kTopKStateWords)
  unsigned int* tiles;       // (2 * ceil(n / kTopKTile)): per tile, keys > T and keys == T, then their exclusive prefixes
  unsigned long long n;      // < 2^32
  unsigned long long k;      // in [1, n]
  unsigned int digit;        // topk_histogram and topk_choose_digit: 0, 1 or 2
};

__device__ __forceinline__ unsigned MagnitudeKey(float x) {
  const unsigned bits = __float_as_uint(x) & 0x7FFFFFFFu;
  return bits < 0x7F800001u ? bits : 0x7F800001u;
}

__device__ __forceinline__ unsigned DigitShift(unsigned digit) { return digit == 0 ? 20u : digit == 1 ? 9u : 0u; }
__device__ __forceinline__ unsigned DigitBits(unsigned digit) { return digit == 2 ? 9u : 11u; }

__global__ void __launch_bounds__(256) topk_clear(TopKArgs args) {
  for (unsigned w = blockIdx.x * blockDim.x + threadIdx.x; w < kTopKStateWords; w += gridDim.x * blockDim.x) args.state[w] = 0;
}

// Adds this digit's histogram of the keys matching the prefix; a block counts in shared memory first.
__global__ void __launch_bounds__(256) topk_histogram(TopKArgs args) {
  __shared__ unsigned block_hist[kTopKBuckets];
  const unsigned shift = DigitShift(args.digit);
  const unsigned mask = (1u << DigitBits(args.digit)) - 1u;
  // Digit 0 matches every key (keys are < 2^31); later digits the prefix chosen so far.
  const unsigned prefix_shift = args.digit == 0 ? 31u : DigitShift(args.digit - 1);
  const unsigned prefix = args.state[0];
  for (unsigned b = threadIdx.x; b < kTopKBuckets; b += blockDim.x) block_hist[b] = 0;
  __syncthreads();
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long i = static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < args.n; i += stride) {
    const unsigned key = MagnitudeKey(args.x[i]);
    if ((key >> prefix_shift) == prefix) atomicAdd(&block_hist[(key >> shift) & mask], 1u);
  }
  __syncthreads();
  for (unsigned b = threadIdx.x; b <= mask; b += blockDim.x)
    if (block_hist[b] != 0) atomicAdd(&args.state[2 + b], block_hist[b]);
}

// One thread: the bucket holding the k-th largest key among those matching the prefix, from the top;
// appends it to the prefix, counts the buckets above it, and clears the histogram for the next digit.
__global__ void __launch_bounds__(32) topk_choose_digit(TopKArgs args) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  unsigned* hist = args.state + 2;
  const unsigned buckets = 1u << DigitBits(args.digit);
  const unsigned long long need = args.k - args.state[1];
  unsigned bucket = buckets - 1;
  unsigned long long above_here = 0;
  while (above_here + hist[bucket] < need) above_here += hist[bucket--];
  args.state[0] = (args.state[0] << DigitBits(args.digit)) | bucket;
  args.state[1] += static_cast<unsigned>(above_here);
  for (unsigned b = 0; b < buckets; ++b) hist[b] = 0;
}

// A warp per tile counts its keys above T (state[0] after the last digit) and equal to it.
__global__ void __launch_bounds__(256) topk_count_tiles(TopKArgs args) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned threshold = args.state[0];
  const unsigned long long tiles = (args.n + kTopKTile - 1) / kTopKTile;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * blockDim.x / 32;
  for (unsigned long long t = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; t < tiles; t += warps) {
    unsigned above = 0, ties = 0;
    for (unsigned long long i = t * kTopKTile + lane; i < (t + 1) * kTopKTile; i += 32) {
      const unsigned key = i < args.n ? MagnitudeKey(args.x[i]) : 0u;
      above += __popc(__ballot_sync(0xFFFFFFFFu, i < args.n && key > threshold));
      ties += __popc(__ballot_sync(0xFFFFFFFFu, i < args.n && key == threshold));
    }
    if (lane == 0) {
      args.tiles[2 * t] = above;
      args.tiles[2 * t + 1] = ties;
    }
  }
}

// One block: the tile counts become exclusive prefixes. Thread t owns a contiguous run of tiles; the
// runs' totals are scanned by thread 0 in shared memory.
__global__ void __launch_bounds__(1024) topk_scan_tiles(TopKArgs args) {
  __shared__ unsigned run_above[1024];
  __shared__ unsigned run_ties[1024];
  const unsigned long long tiles = (args.n + kTopKTile - 1) / kTopKTile;
  const unsigned long long per_thread = (tiles + blockDim.x - 1) / blockDim.x;
  const unsigned long long first = threadIdx.x * per_thread;
  const unsigned long long last = first + per_thread < tiles ? first + per_thread : tiles;
  unsigned above = 0, ties = 0;
  for (unsigned long long t = first; t < last; ++t) {
    above += args.tiles[2 * t];
    ties += args.tiles[2 * t + 1];
  }
  run_above[threadIdx.x] = above;
  run_ties[threadIdx.x] = ties;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned above_before = 0, ties_before = 0;
    for (unsigned r = 0; r < blockDim.x; ++r) {
      const unsigned a = run_above[r], t = run_ties[r];
      run_above[r] = above_before;
      run_ties[r] = ties_before;
      above_before += a;
      ties_before += t;
    }
  }
  __syncthreads();
  above = run_above[threadIdx.x];
  ties = run_ties[threadIdx.x];
  for (unsigned long long t = first; t < last; ++t) {
    const unsigned a = args.tiles[2 * t], e = args.tiles[2 * t + 1];
    args.tiles[2 * t] = above;
    args.tiles[2 * t + 1] = ties;
    above += a;
    ties += e;
  }
}

// A warp per tile writes its selected elements in index order from the tile's output offset: keys > T,
// and keys == T whose rank among the ties (in index order) is below k - above.
__global__ void __launch_bounds__(256) topk_emit_tiles(TopKArgs args) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned lanes_below = (1u << lane) - 1u;
  const unsigned threshold = args.state[0];
  const unsigned long long ties_wanted = args.k - args.state[1];
  const unsigned long long tiles = (args.n + kTopKTile - 1) / kTopKTile;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * blockDim.x / 32;
  for (unsigned long long t = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; t < tiles; t += warps) {
    unsigned long long ties_before = args.tiles[2 * t + 1];
    unsigned long long out = args.tiles[2 * t] + (ties_before < ties_wanted ? ties_before : ties_wanted);
    for (unsigned long long i = t * kTopKTile + lane; i < (t + 1) * kTopKTile; i += 32) {
      const float v = i < args.n ? args.x[i] : 0.0f;
      const unsigned key = MagnitudeKey(v);
      const bool tie = i < args.n && key == threshold;
      const unsigned tie_bits = __ballot_sync(0xFFFFFFFFu, tie);
      const bool take = i < args.n && (key > threshold || (tie && ties_before + __popc(tie_bits & lanes_below) < ties_wanted));
      const unsigned take_bits = __ballot_sync(0xFFFFFFFFu, take);
      if (take) {
        const unsigned long long slot = out + __popc(take_bits & lanes_below);
        args.indices[slot] = static_cast<unsigned>(i);
        args.values[slot] = v;
      }
      out += __popc(take_bits);
      ties_before += __popc(tie_bits);
    }
  }
}

}  // namespace kn
