// FlashAttention-2 forward on tensor cores (WMMA 16x16x16, sm_80 and later) for f16 and bf16 storage with
// fp32 accumulation; the semantics of cpp/src/attention (managed/Kernels/Attention/AttentionOptions.cs):
// s = scale * q.k, optionally softcap * tanh(s / softcap), masks aligned bottom-right with
// diag = i + seq_k - seq_q (causal: j <= diag; window: diag - left <= j <= diag + right), grouped-query
// heads (query head h reads kv head h / group), log-sum-exp (natural log) per row, and a row that sees no
// key gives o = 0 and lse = -inf.
//
// A block of 4 warps owns 64 query rows of one (batch, head); each warp owns 16 of them. Key/value tiles
// of kBlockN rows stream through shared memory; per tile a warp computes S = Q K^T with WMMA, stores it to
// shared memory (the fragment's lane mapping is unspecified, so the softmax reads S from memory), runs the
// online softmax in the log2 domain (exp2f, log2(e) folded into the scores), writes P in the input type and
// accumulates O += P V with WMMA. Each lane pair owns one query row: its running max and sum, and half the
// row of O in registers (so the per-row rescale needs no fragment layout).
// Tiles are sized for the 48 KiB of static shared memory: d = 64 with 64-key tiles (48 KiB), d = 128 with
// 32-key tiles (44 KiB; 64-key tiles would need 72 KiB and the dynamic shared memory opt-in).
// Difference from the CPU kernel: a NaN in v of a masked key inside a visited tile reaches the rows of that
// tile through 0 * NaN in the MMA (the CPU skips masked keys); infinite inputs are unsupported on both.
#include "flash_attention_tiles.cuh"

namespace kn {

// Kernel parameters, passed by value. Strides are in elements, as AttentionStrides.
struct FlashForwardArgs {
  const void* q;  // (batch, seq_q, heads, head_dim)
  const void* k;  // (batch, seq_k, heads / group, head_dim)
  const void* v;  // (batch, seq_k, heads / group, head_dim)
  void* o;        // (batch, seq_q, heads, head_dim)
  float* lse;     // (batch, seq_q, heads), dense
  FlashProblem problem;
};

template <int D>
struct FlashTile {
  static_assert(D == 64 || D == 128, "head dims 64 and 128");
  static constexpr int kBlockN = D == 64 ? 64 : 32;
  unsigned short q[kFlashBlockM * D];           // (64 rows, D)
  unsigned short k[kBlockN * D];                // (kBlockN keys, D)
  unsigned short v[kBlockN * D];                // (kBlockN keys, D)
  float s[kFlashWarps][16 * kBlockN];           // per warp (16 rows, kBlockN) scores; then (16, 16) P V tiles
  unsigned short p[kFlashWarps][16 * kBlockN];  // per warp (16 rows, kBlockN) probabilities
};

template <class S, int D>
__global__ void __launch_bounds__(kFlashThreads) flash_attention_forward(FlashForwardArgs args) {
  using namespace nvcuda;
  using In = typename MmaInput<S>::Type;
  using Tile = FlashTile<D>;
  constexpr int kBlockN = Tile::kBlockN;
  constexpr int kHalfRow = kBlockN / 2;
  constexpr float kLog2e = 1.4426950408889634f;
  constexpr float kLn2 = 0.6931471805599453f;
  const float kMinusInf = __uint_as_float(0xFF800000u);
  __shared__ __align__(32) Tile tile;
  const FlashProblem& problem = args.problem;

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int m0 = blockIdx.x * kFlashBlockM, head = blockIdx.y, batch = blockIdx.z;
  const int kv_head = head / problem.group;
  const unsigned short* q = HeadStart(args.q, batch, problem.q_batch, head, problem.q_head);
  const unsigned short* k = HeadStart(args.k, batch, problem.k_batch, kv_head, problem.k_head);
  const unsigned short* v = HeadStart(args.v, batch, problem.v_batch, kv_head, problem.v_head);
  const int block_rows = problem.seq_q - m0 < kFlashBlockM ? problem.seq_q - m0 : kFlashBlockM;
  LoadRows<D, kFlashBlockM>(tile.q, q + m0 * problem.q_seq, problem.q_seq, block_rows, problem.vector_loads != 0);

  // This lane's query row and half of it (columns of S and P, and of O).
  const int r = lane / 2, half = lane % 2;
  const int i = m0 + warp * 16 + r;
  const VisibleKeys keys(problem, i);
  const bool row_valid = i < problem.seq_q;
  float row_max = kMinusInf, row_sum = 0.0f;  // log2 domain; row_sum covers this lane's columns
  float acc[D / 2];                           // O row i, columns dt * 16 + half * 8 + (0..7) at dt * 8
#pragma unroll
  for (int j = 0; j < D / 2; ++j) acc[j] = 0.0f;

  const In* q_warp = reinterpret_cast<const In*>(tile.q + warp * 16 * D);
  float* s_warp = tile.s[warp];
  unsigned short* p_warp = tile.p[warp];
  const BlockKeyTiles keys_of_block = BlockKeyTiles::Of<kBlockN>(problem, m0, block_rows);
  for (long long n0 = keys_of_block.begin; n0 < keys_of_block.end; n0 += kBlockN) {
    LoadKeyValueTiles<D, kBlockN>(tile.k, tile.v, k, v, problem, n0);

    // S (16, kBlockN) = Q_warp K^T.
    ProductWithRows<In, D, kBlockN>(q_warp, tile.k, s_warp);
    __syncwarp();

    // Online softmax over this lane's half row; the lane pair agrees on the max through one shuffle. Scores are
    // read from shared memory twice (max, then exponentials) rather than held: registers go to the O row.
    const auto score_log2 = [&](int col) {
      const long long j = n0 + col;
      float x = s_warp[r * kBlockN + col] * problem.scale;
      if (problem.softcap > 0.0f) x = problem.softcap * tanhf(x / problem.softcap);
      return row_valid && j >= keys.lo && j <= keys.hi ? x * kLog2e : kMinusInf;
    };
    float tile_max = kMinusInf;
#pragma unroll
    for (int c = 0; c < kHalfRow; ++c) tile_max = fmaxf(tile_max, score_log2(half * kHalfRow + c));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xFFFFFFFFu, tile_max, 1));
    const float new_max = fmaxf(row_max, tile_max);
    const bool seen = new_max != kMinusInf;  // false while no visible key: P = 0, O stays 0
    const float alpha = seen ? exp2f(row_max - new_max) : 1.0f;
    float tile_sum = 0.0f;
#pragma unroll
    for (int c = 0; c < kHalfRow; ++c) {
      const int col = half * kHalfRow + c;
      const float p = seen ? exp2f(score_log2(col) - new_max) : 0.0f;
      tile_sum += p;
      p_warp[r * kBlockN + col] = S::FromFloat(p);
    }
    row_sum = row_sum * alpha + tile_sum;
    row_max = new_max;
#pragma unroll
    for (int j = 0; j < D / 2; ++j) acc[j] *= alpha;
    __syncwarp();

    // O (16, D) += P V, one 16-column tile at a time through the warp's (16, 16) slice of s.
    wmma::fragment<wmma::matrix_a, 16, 16, 16, In, wmma::row_major> p_frag[kBlockN / 16];
#pragma unroll
    for (int kt = 0; kt < kBlockN / 16; ++kt)
      wmma::load_matrix_sync(p_frag[kt], reinterpret_cast<const In*>(p_warp + kt * 16), kBlockN);
#pragma unroll
    for (int dt = 0; dt < D / 16; ++dt) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> o_frag;
      wmma::fill_fragment(o_frag, 0.0f);
#pragma unroll
      for (int kt = 0; kt < kBlockN / 16; ++kt) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, In, wmma::row_major> v_frag;
        wmma::load_matrix_sync(v_frag, reinterpret_cast<const In*>(tile.v + kt * 16 * D + dt * 16), D);
        wmma::mma_sync(o_frag, p_frag[kt], v_frag, o_frag);
      }
      wmma::store_matrix_sync(s_warp, o_frag, 16, wmma::mem_row_major);
      __syncwarp();
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[dt * 8 + j] += s_warp[r * 16 + half * 8 + j];
      __syncwarp();  // read before the next tile overwrites the slice
    }
  }

  row_sum += __shfl_xor_sync(0xFFFFFFFFu, row_sum, 1);
  if (!row_valid) return;
  const bool empty = row_max == kMinusInf;
  const float inverse = empty ? 0.0f : 1.0f / row_sum;
  unsigned short* o =
      static_cast<unsigned short*>(args.o) + batch * problem.o_batch + i * problem.o_seq + head * problem.o_head;
#pragma unroll
  for (int dt = 0; dt < D / 16; ++dt)
#pragma unroll
    for (int j = 0; j < 8; ++j) o[dt * 16 + half * 8 + j] = S::FromFloat(acc[dt * 8 + j] * inverse);
  if (half == 0)
    args.lse[(static_cast<long long>(batch) * problem.seq_q + i) * problem.heads + head] =
        empty ? kMinusInf : (row_max + log2f(row_sum)) * kLn2;
}

}  // namespace kn
