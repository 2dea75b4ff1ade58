// FlashAttention-2 backward on tensor cores (WMMA 16x16x16, sm_80 and later) for f16 and bf16 storage with fp32
// accumulation; the gradients of flash_attention.cu's forward and the contract of the CPU backward
// (cpp/include/kernels.h, kn_flash_attention_backward_dkdv / _dq): P is recomputed from lse,
// D = rowsum(dO * O), dP = dO V^T, dS = P (dP - D) (times 1 - tanh^2 under a softcap), dV = P^T dO,
// dK = scale dS^T Q, dQ = scale dS K. Rows that see no key (lse = -inf) contribute nothing.
//
// Two kernels, each the only writer of its outputs, so no atomics and a fixed accumulation order:
// - flash_attention_backward_dkdv: a block owns 64 keys of one (batch, kv head), a warp 16 of them, with dK and dV
//   in WMMA accumulators for the whole call. It visits the query heads of its group ascending, then query tiles
//   ascending, skipping tiles whose rows see none of its keys; per tile a warp computes S^T = K Q^T and
//   dP^T = V dO^T (keys x queries), P^T and dS^T element-wise, then dV += P^T dO and dK += dS^T Q.
// - flash_attention_backward_dq: a block owns 64 query rows of one (batch, head), a warp 16 of them, with dQ in
//   accumulators; it visits the key tiles its rows can see ascending: S = Q K^T, dP = dO V^T, dS, dQ += dS K.
// D is computed where it is needed (per query tile, one thread a row, elements ascending, so both kernels get the
// same bits) rather than by a preprocessing kernel: it costs one more read of O per visited tile and needs no
// workspace buffer whose lifetime would outlive the call on the stream.
// P and dS are rounded to the input type before their MMAs (as FlashAttention); dq, dk, dv are rounded once from
// the fp32 accumulators to the input type (round to nearest even).
// Tiles are sized for the 48 KiB of static shared memory (FlashBackwardTiles). The dq kernel declares
// __launch_bounds__(128, 1): without the minimum, ptxas 11.8 caps dq<bf16, 64> at 128 registers and spills 20 bytes on
// sm_90; its 37-47 KiB of shared memory allow at most four blocks per SM on sm_80 anyway.
#include "flash_attention_tiles.cuh"

namespace kn {

// Kernel parameters, passed by value. Strides are in elements, as AttentionStrides; every gradient has the
// strides of its tensor (dq of q, dk of k, dv of v, d_o of o).
struct FlashBackwardArgs {
  const void* q;     // (batch, seq_q, heads, head_dim)
  const void* k;     // (batch, seq_k, heads / group, head_dim)
  const void* v;     // (batch, seq_k, heads / group, head_dim)
  const void* o;     // (batch, seq_q, heads, head_dim)
  const float* lse;  // (batch, seq_q, heads), dense
  const void* d_o;   // (batch, seq_q, heads, head_dim)
  void* dq;          // as q
  void* dk;          // as k
  void* dv;          // as v
  FlashProblem problem;
};

// Tile sizes. dkdv: 64 keys (a warp's 16 each) against query tiles of kDkdvRows, 36 KiB at d = 64 and 46 KiB at
// d = 128 (32-row query tiles at d = 128 would need 52 KiB). dq: 64 query rows against key tiles of kDqKeys,
// 36 KiB at d = 64 and 46.5 KiB at d = 128 (32-key tiles would need 57 KiB).
template <int D>
struct FlashBackwardTiles {
  static_assert(D == 64 || D == 128, "head dims 64 and 128");
  static constexpr int kDkdvRows = D == 64 ? 32 : 16;
  static constexpr int kDqKeys = D == 64 ? 32 : 16;
};

template <int D>
struct DkdvTile {
  static constexpr int kRows = FlashBackwardTiles<D>::kDkdvRows;
  unsigned short k[kFlashBlockM * D];         // (64 keys, D)
  unsigned short v[kFlashBlockM * D];         // (64 keys, D)
  unsigned short q[kRows * D];                // (kRows queries, D) of the current head and query tile
  unsigned short d_o[kRows * D];              // (kRows queries, D)
  float s[kFlashWarps][16 * kRows];           // per warp (16 keys, kRows) S^T, then dP^T, then (16, 16) output slices
  unsigned short p[kFlashWarps][16 * kRows];  // per warp P^T, then dS^T, in the input type
  float lse_log2[kRows];                      // lse * log2(e) of the tile's rows; -inf for rows past seq_q
  float delta[kRows];                         // D of the tile's rows
};

template <int D>
struct DqTile {
  static constexpr int kKeys = FlashBackwardTiles<D>::kDqKeys;
  unsigned short q[kFlashBlockM * D];         // (64 queries, D)
  unsigned short d_o[kFlashBlockM * D];       // (64 queries, D)
  unsigned short k[kKeys * D];                // (kKeys keys, D)
  unsigned short v[kKeys * D];                // (kKeys keys, D)
  float s[kFlashWarps][16 * kKeys];           // per warp (16 queries, kKeys) S, then dP, then (16, 16) output slices
  unsigned short p[kFlashWarps][16 * kKeys];  // per warp dS in the input type
  float lse_log2[kFlashBlockM];
  float delta[kFlashBlockM];
};

constexpr float kBackwardLog2e = 1.4426950408889634f;

// lse (log2 domain) and D = rowsum(dO * O) of query rows [m0, m0 + kRows) of one (batch, head), one thread a row,
// elements ascending. Rows past seq_q and rows that see no key get lse -inf, so their P is 0.
template <class S, int D, int kRows>
__device__ __forceinline__ void LoadRowStatistics(const FlashBackwardArgs& a, int batch, int head, int m0,
                                                  float* lse_log2, float* delta) {
  const float kMinusInf = __uint_as_float(0xFF800000u);
  for (int t = threadIdx.x; t < kRows; t += kFlashThreads) {
    const int i = m0 + t;
    float l = kMinusInf, dot = 0.0f;
    if (i < a.problem.seq_q) {
      l = a.lse[(static_cast<long long>(batch) * a.problem.seq_q + i) * a.problem.heads + head];
      const long long row = batch * a.problem.o_batch + i * a.problem.o_seq + head * a.problem.o_head;
      const unsigned short* o = static_cast<const unsigned short*>(a.o) + row;
      const unsigned short* d_o = static_cast<const unsigned short*>(a.d_o) + row;
      if (l != kMinusInf)
        for (int e = 0; e < D; ++e) dot = fmaf(S::ToFloat(d_o[e]), S::ToFloat(o[e]), dot);
    }
    lse_log2[t] = l == kMinusInf ? kMinusInf : l * kBackwardLog2e;
    delta[t] = dot;
  }
}

// One element of the score gradient: P = exp(s - lse) of a visible (query i, key j) pair, 0 otherwise, and the
// slope ds/d(q.k) / scale of the softcap (1 without one).
struct ScoreProbability {
  float p, slope;
  __device__ ScoreProbability(const FlashProblem& a, float dot, long long i, long long j, float lse_log2) {
    const VisibleKeys keys(a, i);
    float x = dot * a.scale;
    slope = 1.0f;
    if (a.softcap > 0.0f) {
      const float t = tanhf(x / a.softcap);
      x = a.softcap * t;
      slope = 1.0f - t * t;
    }
    const bool visible = i < a.seq_q && j >= keys.lo && j <= keys.hi && lse_log2 != __uint_as_float(0xFF800000u);
    p = visible ? exp2f(x * kBackwardLog2e - lse_log2) : 0.0f;
  }
};

// acc (16, D) += A B for a warp: A (16, kDepth) row-major in the input type (the warp's P or dS), B (kDepth, D) the
// rows of a tile.
template <class In, int D, int kDepth, class Accumulator>
__device__ __forceinline__ void AccumulateProduct(Accumulator (&acc)[D / 16], const unsigned short* a,
                                                  const unsigned short* b_rows) {
  using namespace nvcuda;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, In, wmma::row_major> a_frag[kDepth / 16];
#pragma unroll
  for (int kt = 0; kt < kDepth / 16; ++kt)
    wmma::load_matrix_sync(a_frag[kt], reinterpret_cast<const In*>(a + kt * 16), kDepth);
#pragma unroll
  for (int dt = 0; dt < D / 16; ++dt)
#pragma unroll
    for (int kt = 0; kt < kDepth / 16; ++kt) {
      wmma::fragment<wmma::matrix_b, 16, 16, 16, In, wmma::row_major> b_frag;
      wmma::load_matrix_sync(b_frag, reinterpret_cast<const In*>(b_rows + kt * 16 * D + dt * 16), D);
      wmma::mma_sync(acc[dt], a_frag[kt], b_frag, acc[dt]);
    }
}

// Writes a warp's (16, D) fp32 gradient tile, times `factor`, in the input type to its first `rows` rows (of 16),
// one (16, 16) slice at a time through the warp's scratch (the fragment's lane mapping is unspecified).
template <class S, int D, class Accumulator>
__device__ __forceinline__ void StoreGradientRows(Accumulator (&acc)[D / 16], float* scratch, unsigned short* out,
                                                  long long stride, int rows, float factor) {
  const int lane = threadIdx.x % 32, r = lane / 2, half = lane % 2;
#pragma unroll
  for (int dt = 0; dt < D / 16; ++dt) {
    nvcuda::wmma::store_matrix_sync(scratch, acc[dt], 16, nvcuda::wmma::mem_row_major);
    __syncwarp();
    if (r < rows)
#pragma unroll
      for (int j = 0; j < 8; ++j)
        out[r * stride + dt * 16 + half * 8 + j] = S::FromFloat(scratch[r * 16 + half * 8 + j] * factor);
    __syncwarp();  // read before the next slice overwrites the scratch
  }
}

template <class S, int D>
__global__ void __launch_bounds__(kFlashThreads) flash_attention_backward_dkdv(FlashBackwardArgs args) {
  using namespace nvcuda;
  using In = typename MmaInput<S>::Type;
  using Tile = DkdvTile<D>;
  constexpr int kRows = Tile::kRows;
  constexpr int kPerLane = 16 * kRows / 32;
  __shared__ __align__(32) Tile tile;
  const FlashProblem& problem = args.problem;

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int n0 = blockIdx.x * kFlashBlockM, kv_head = blockIdx.y, batch = blockIdx.z;
  const int block_keys = problem.seq_k - n0 < kFlashBlockM ? problem.seq_k - n0 : kFlashBlockM;
  const long long n_last = n0 + block_keys - 1;
  const unsigned short* k = HeadStart(args.k, batch, problem.k_batch, kv_head, problem.k_head);
  const unsigned short* v = HeadStart(args.v, batch, problem.v_batch, kv_head, problem.v_head);
  LoadRows<D, kFlashBlockM>(tile.k, k + n0 * problem.k_seq, problem.k_seq, block_keys, problem.vector_loads != 0);
  LoadRows<D, kFlashBlockM>(tile.v, v + n0 * problem.v_seq, problem.v_seq, block_keys, problem.vector_loads != 0);

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> dk_acc[D / 16], dv_acc[D / 16];
#pragma unroll
  for (int dt = 0; dt < D / 16; ++dt) {
    wmma::fill_fragment(dk_acc[dt], 0.0f);
    wmma::fill_fragment(dv_acc[dt], 0.0f);
  }
  const In* k_warp = reinterpret_cast<const In*>(tile.k + warp * 16 * D);
  const In* v_warp = reinterpret_cast<const In*>(tile.v + warp * 16 * D);
  float* s_warp = tile.s[warp];
  unsigned short* p_warp = tile.p[warp];

  for (int head = kv_head * problem.group; head < (kv_head + 1) * problem.group; ++head) {
    const unsigned short* q = HeadStart(args.q, batch, problem.q_batch, head, problem.q_head);
    const unsigned short* d_o = HeadStart(args.d_o, batch, problem.o_batch, head, problem.o_head);
    for (int m0 = 0; m0 < problem.seq_q; m0 += kRows) {
      const int tile_rows = problem.seq_q - m0 < kRows ? problem.seq_q - m0 : kRows;
      const VisibleKeys first(problem, m0), last(problem, m0 + tile_rows - 1);  // masks grow with the row
      if (first.lo > n_last || last.hi < n0 || first.lo > last.hi) continue;    // the same choice in every thread
      __syncthreads();  // every warp is done with the previous query tile (and the K/V tiles are written)
      LoadRows<D, kRows>(tile.q, q + m0 * problem.q_seq, problem.q_seq, tile_rows, problem.vector_loads != 0);
      LoadRows<D, kRows>(tile.d_o, d_o + m0 * problem.o_seq, problem.o_seq, tile_rows, problem.vector_loads != 0);
      LoadRowStatistics<S, D, kRows>(args, batch, head, m0, tile.lse_log2, tile.delta);
      __syncthreads();

      // S^T (16 keys, kRows) = K_warp Q^T.
      ProductWithRows<In, D, kRows>(k_warp, tile.q, s_warp);
      __syncwarp();

      // P^T element-wise (lane l owns query row l % kRows of the tile); the lane keeps P and the softcap slopes in
      // fp32 for dS.
      float p[kPerLane], slope[kPerLane];
#pragma unroll
      for (int c = 0; c < kPerLane; ++c) {
        const int e = lane + 32 * c, key = e / kRows, row = e % kRows;
        const ScoreProbability sp(problem, s_warp[e], m0 + row, n0 + warp * 16 + key, tile.lse_log2[row]);
        p[c] = sp.p;
        slope[c] = sp.slope;
        p_warp[e] = S::FromFloat(sp.p);
      }
      __syncwarp();

      // dV (16 keys, D) += P^T dO.
      AccumulateProduct<In, D, kRows>(dv_acc, p_warp, tile.d_o);

      // dP^T (16 keys, kRows) = V_warp dO^T.
      ProductWithRows<In, D, kRows>(v_warp, tile.d_o, s_warp);
      __syncwarp();

      // dS^T = P^T (dP^T - D) slope, over P^T in the warp's input-type slice (its fragments are loaded).
#pragma unroll
      for (int c = 0; c < kPerLane; ++c) {
        const int e = lane + 32 * c;
        p_warp[e] = S::FromFloat(p[c] * (s_warp[e] - tile.delta[e % kRows]) * slope[c]);
      }
      __syncwarp();

      // dK (16 keys, D) += dS^T Q.
      AccumulateProduct<In, D, kRows>(dk_acc, p_warp, tile.q);
    }
  }

  // Every key of the block is written: keys no query sees get 0. dK carries the scale of s = scale q.k.
  __syncwarp();
  unsigned short* dk = static_cast<unsigned short*>(args.dk) + batch * problem.k_batch +
                       (n0 + warp * 16) * problem.k_seq + kv_head * problem.k_head;
  unsigned short* dv = static_cast<unsigned short*>(args.dv) + batch * problem.v_batch +
                       (n0 + warp * 16) * problem.v_seq + kv_head * problem.v_head;
  StoreGradientRows<S, D>(dk_acc, s_warp, dk, problem.k_seq, block_keys - warp * 16, problem.scale);
  StoreGradientRows<S, D>(dv_acc, s_warp, dv, problem.v_seq, block_keys - warp * 16, 1.0f);
}

template <class S, int D>
__global__ void __launch_bounds__(kFlashThreads, 1) flash_attention_backward_dq(FlashBackwardArgs args) {
  using namespace nvcuda;
  using In = typename MmaInput<S>::Type;
  using Tile = DqTile<D>;
  constexpr int kKeys = Tile::kKeys;
  constexpr int kPerLane = kKeys / 2;
  __shared__ __align__(32) Tile tile;
  const FlashProblem& problem = args.problem;

  // A lane pair owns one query row of the warp's 16 (half a row of S, dP and dS each), so its mask is one range.
  const int warp = threadIdx.x / 32, r = threadIdx.x % 32 / 2, half = threadIdx.x % 2;
  const int m0 = blockIdx.x * kFlashBlockM, head = blockIdx.y, batch = blockIdx.z;
  const int kv_head = head / problem.group;
  const unsigned short* q = HeadStart(args.q, batch, problem.q_batch, head, problem.q_head);
  const unsigned short* d_o = HeadStart(args.d_o, batch, problem.o_batch, head, problem.o_head);
  const unsigned short* k = HeadStart(args.k, batch, problem.k_batch, kv_head, problem.k_head);
  const unsigned short* v = HeadStart(args.v, batch, problem.v_batch, kv_head, problem.v_head);
  const int block_rows = problem.seq_q - m0 < kFlashBlockM ? problem.seq_q - m0 : kFlashBlockM;
  LoadRows<D, kFlashBlockM>(tile.q, q + m0 * problem.q_seq, problem.q_seq, block_rows, problem.vector_loads != 0);
  LoadRows<D, kFlashBlockM>(tile.d_o, d_o + m0 * problem.o_seq, problem.o_seq, block_rows, problem.vector_loads != 0);
  LoadRowStatistics<S, D, kFlashBlockM>(args, batch, head, m0, tile.lse_log2, tile.delta);

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> dq_acc[D / 16];
#pragma unroll
  for (int dt = 0; dt < D / 16; ++dt) wmma::fill_fragment(dq_acc[dt], 0.0f);
  const In* q_warp = reinterpret_cast<const In*>(tile.q + warp * 16 * D);
  const In* do_warp = reinterpret_cast<const In*>(tile.d_o + warp * 16 * D);
  float* s_warp = tile.s[warp];
  unsigned short* p_warp = tile.p[warp];

  const BlockKeyTiles keys_of_block = BlockKeyTiles::Of<kKeys>(problem, m0, block_rows);
  for (long long n0 = keys_of_block.begin; n0 < keys_of_block.end; n0 += kKeys) {
    LoadKeyValueTiles<D, kKeys>(tile.k, tile.v, k, v, problem, n0);

    // S (16, kKeys) = Q_warp K^T and dP (16, kKeys) = dO_warp V^T: K's and V's rows are B's columns.
    float p[kPerLane], slope[kPerLane];
#pragma unroll 1  // one copy of the product code: unrolled, both passes' fragments compete for registers
    for (int pass = 0; pass < 2; ++pass) {
      ProductWithRows<In, D, kKeys>(pass == 0 ? q_warp : do_warp, pass == 0 ? tile.k : tile.v, s_warp);
      __syncwarp();
#pragma unroll
      for (int c = 0; c < kPerLane; ++c) {
        const int col = half * kPerLane + c, e = r * kKeys + col, row = warp * 16 + r;
        if (pass == 0) {
          const ScoreProbability sp(problem, s_warp[e], m0 + row, n0 + col, tile.lse_log2[row]);
          p[c] = sp.p;
          slope[c] = sp.slope;
        } else {
          p_warp[e] = S::FromFloat(p[c] * (s_warp[e] - tile.delta[row]) * slope[c]);  // dS
        }
      }
      __syncwarp();
    }

    // dQ (16, D) += dS K.
    AccumulateProduct<In, D, kKeys>(dq_acc, p_warp, tile.k);
  }

  // Rows that see no key get 0. dQ carries the scale of s = scale q.k.
  __syncwarp();
  unsigned short* dq = static_cast<unsigned short*>(args.dq) + batch * problem.q_batch +
                       (m0 + warp * 16) * problem.q_seq + head * problem.q_head;
  StoreGradientRows<S, D>(dq_acc, s_warp, dq, problem.q_seq, block_rows - warp * 16, problem.scale);
}

}  // namespace kn
