// Parameters of the gradient-compression kernels (top-k, 1-bit, PowerSGD products).
#ifndef KN_COMPRESS_COMPRESS_PARAMS_H_
#define KN_COMPRESS_COMPRESS_PARAMS_H_

#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace kn {

// Exact top-k: radix select on 31-bit magnitude keys in three digits (11, 11, 9 bits), each a
// histogram pass over x restricted to the keys that share the prefix found so far, then one filter
// pass. A pass stops early when the whole bucket it lands on is needed (then no tie-break is left).
// Measured (AVX3, 1 thread, 16M normal floats, k = 1%): 16 ms, against 1.3 s for std::sort of the
// magnitudes; the sampled variant with a 1% sample takes 11 ms. Not yet compared with vqsort.
struct TopKParams {
  const float* x;     // (n)
  size_t n;           // < 2^32
  size_t k;           // 1..n
  uint32_t* indices;  // (k), ascending
  float* values;      // (k), x[indices[j]]
};

// Sampled threshold (Deep Gradient Compression): select on sample_size SplitMix64 positions, then
// a single filter pass; the exact select runs only when more than `capacity` elements pass.
struct SampledTopKParams {
  TopKParams exact;   // exact.k is the requested k; used for the fallback
  size_t sample_size; // >= 1
  uint64_t seed;
  size_t capacity;    // >= k, size of indices and values
  size_t* kept;
};

struct SparseScatterParams {
  const uint32_t* indices;  // (count), each < n
  const float* values;      // (count)
  size_t count;
  float* dense;             // (n)
  size_t n;
};

// 1-bit: c = x (compress) or c = g + e (compress_ef). Per chunk: pass 1 sums |c| or c^2 of the
// finite elements into 16 fixed partial sums; pass 2 writes the sign bits (and e_new). The chunk is
// read twice; at chunk sizes up to L2 the second read hits cache, and pass 2 prefetches the next
// chunk so memory keeps streaming while it runs. Measured (AVX3, 1 thread, 16M floats, chunk 2048):
// compress_ef 7.8 ms (26 GB/s of g, e and e_new) without the prefetch, 4.7 ms (43 GB/s) with it;
// decompress 2.2 ms.
struct OneBitParams {
  const void* x;      // (n) of dtype: c for compress, g for compress_ef
  const float* e;     // (n): compress_ef only, else null; f32 whatever dtype is
  float* e_new;       // (n): compress_ef only, may alias e exactly
  size_t n;
  size_t chunk;       // >= 1
  kn_scale_kind kind;
  kn_dtype dtype;     // of x
  uint32_t* signs;    // (ceil(n / 32))
  float* scales;      // (ceil(n / chunk))
};

// Decompress calls whose f32 output is at least this many bytes write it with non-temporal stores
// (no write-allocate read of dst). Decompress is write-only: with regular stores every output line is
// also read, so at equal DRAM traffic it showed ~75% of STREAM copy (kernels-perf compression, 2
// threads: 86% at 64 MiB, 71% at 256 MiB); with these stores 113% at 64 MiB and 107% at 256 MiB
// (same harness, a loaded machine: copy measured 9.8-11 GB/s in turns). 6 MiB per call, as for
// reduce (reduce_params.h): below it the output of a 2-thread call can stay in L3 for the consumer
// that reads it next.
constexpr size_t kOneBitStreamMinBytes = size_t{6} << 20;

struct OneBitDecompressParams {
  const uint32_t* signs;  // (ceil(n / 32))
  const float* scales;    // (ceil(n / chunk))
  size_t n;
  size_t chunk;
  kn_dtype dtype;         // of dst
  void* dst;              // (n)
};

// PowerSGD products over m (rows, cols), q (cols, rank), p (rows, rank), all row-major.
// m_q: up to 4 rows of m share each load of a q row (rank is at most 32, so a q row is at most two
// AVX-512 vectors); mt_p: the same 4-row blocks accumulate into q, which stays in cache for
// cols * rank * 4 bytes up to L2. Measured (AVX3, 1 thread, 4096 x 4096, rank 4): m_q 4.5 ms,
// mt_p 4.3 ms, p_qt (scalar) 15 ms. m_q walks the rows bottom-up so that mt_p, run next on the same
// m, finds its first rows in the L3: a whole PowerSGD step (kernels-perf compression/powersgd, 1
// thread, load average ~7) went from 29 ms to 10-16 ms, against 14-21 ms for OpenBLAS sgemm.
struct LowRankParams {
  const float* m;  // (rows, cols)
  const float* a;  // m_q: q (cols, rank); mt_p: p (rows, rank); p_qt: p (rows, rank)
  const float* b;  // p_qt: q (cols, rank); else null
  float* out;      // m_q: p (rows, rank); mt_p: q (cols, rank); p_qt: m (rows, cols)
  size_t rows;
  size_t cols;
  size_t rank;     // 1..32
  size_t ld;       // floats between rows of m, >= cols (mt_p over a column block of a wider m)
};

}  // namespace kn

#endif  // KN_COMPRESS_COMPRESS_PARAMS_H_
