// The exact combination of two softmax-attention results over disjoint keys (semantics of
// cpp/src/attention/attention_merge.cc): lse = hi + log1p(exp(lo - hi)), o = wa * o_a + wb * o_b
// with wa = exp(lse_a - lse), wb = exp(lse_b - lse). A NaN lse gives NaN everywhere in the row, two
// -Inf give lse = -Inf and o = 0, and a side of weight 0 adds exactly 0 even if its o holds Inf or NaN.
// CUDA's expf and log1pf are within 2 ulp, so results match the CPU's to rounding, not bit for bit.
#include "float_storage.cuh"

namespace kn {

// Kernel parameters, passed by value.
struct MergeArgs {
  const void* o_a;           // (rows, value_dim) storage S
  const float* lse_a;        // (rows)
  const void* o_b;           // (rows, value_dim)
  const float* lse_b;        // (rows)
  void* o;                   // (rows, value_dim), may alias o_a or o_b exactly
  float* lse;                // (rows), may alias lse_a or lse_b exactly
  unsigned long long rows;
  unsigned long long value_dim;
};

// A warp per row: every lane derives the row's weights (cheap next to a row of loads), lane 0 writes
// lse after the warp's last read of lse_a and lse_b, so lse may alias them.
template <class S>
__global__ void __launch_bounds__(256) attention_merge(MergeArgs args) {
  using Bits = typename S::Bits;
  const unsigned lane = threadIdx.x % 32;
  const unsigned long long warps = static_cast<unsigned long long>(gridDim.x) * blockDim.x / 32;
  for (unsigned long long r = (static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; r < args.rows; r += warps) {
    const float la = args.lse_a[r], lb = args.lse_b[r];
    float lse, wa, wb;
    if (IsNaN(la) || IsNaN(lb)) {
      lse = wa = wb = __uint_as_float(0x7FC00000u);
    } else if (la == __uint_as_float(0xFF800000u) && lb == __uint_as_float(0xFF800000u)) {
      lse = la;
      wa = wb = 0.0f;
    } else {
      const float hi = fmaxf(la, lb), lo = fminf(la, lb);
      lse = hi + log1pf(expf(lo - hi));
      wa = expf(la - lse);
      wb = expf(lb - lse);
    }
    __syncwarp();  // every lane has read lse_a[r] and lse_b[r] before lane 0 may overwrite them
    const bool use_a = wa != 0.0f, use_b = wb != 0.0f;
    const unsigned long long row = r * args.value_dim;
    const Bits* oa = static_cast<const Bits*>(args.o_a) + row;
    const Bits* ob = static_cast<const Bits*>(args.o_b) + row;
    Bits* o = static_cast<Bits*>(args.o) + row;
    for (unsigned long long j = lane; j < args.value_dim; j += 32) {
      const float term_a = use_a ? wa * S::ToFloat(oa[j]) : 0.0f;
      const float term_b = use_b ? wb * S::ToFloat(ob[j]) : 0.0f;
      o[j] = S::FromFloat(term_a + term_b);
    }
    if (lane == 0) args.lse[r] = lse;
  }
}

}  // namespace kn
