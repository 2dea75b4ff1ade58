/* kernels.h — the whole public C ABI of libkernels.
 *
 * This header is the single source of the managed bindings: bindings/ parses it at build time and
 * emits the P/Invoke declarations. Keep every declaration on the shape the generator reads:
 *   KN_API <return type> kn_<name>(<type> <name>, ...);      (one declaration, may span lines)
 *   typedef enum kn_<name> { KN_<MEMBER> = <value>, ... } kn_<name>;
 * Types the generator maps: void, int32_t, int64_t, uint32_t, uint64_t, size_t, float, double,
 * const char*, void* / const void*, pointers to those scalars, and the kn_ enums below.
 *
 * Rules every kernel follows: it works on the range it is given, single-threaded, allocates
 * nothing, keeps no state, never throws across the ABI and returns a kn_status. On failure,
 * kn_last_error() returns a message for the calling thread (valid until that thread's next call).
 * Reduced-precision types are storage only: arithmetic and accumulation are fp32.
 */
#ifndef KERNELS_H
#define KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define KN_API __declspec(dllexport)
#else
#define KN_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version = major * 10000 + minor * 100 + patch. The managed loader refuses another major. */
#define KN_VERSION_MAJOR 0
#define KN_VERSION_MINOR 1
#define KN_VERSION_PATCH 0

typedef enum kn_status {
  KN_OK = 0,
  KN_INVALID_ARGUMENT = 1, /* a null pointer, bad size or unknown enum value */
  KN_UNSUPPORTED = 2,      /* a valid request this build cannot serve (e.g. a target the CPU lacks) */
  KN_INTERNAL_ERROR = 3,
} kn_status;

typedef enum kn_dtype {
  KN_F32 = 0,
  KN_F16 = 1,  /* IEEE binary16 */
  KN_BF16 = 2, /* bfloat16: the upper half of an fp32; conversion rounds to nearest even, NaN stays NaN */
} kn_dtype;

typedef enum kn_reduce_op {
  KN_OP_SUM = 0,
  KN_OP_MAX = 1, /* NaN in either operand gives NaN */
  KN_OP_MIN = 2, /* NaN in either operand gives NaN */
} kn_reduce_op;

/* ---- library ---------------------------------------------------------------------------- */

KN_API int32_t kn_version(void);
KN_API const char* kn_last_error(void);

/* ---- SIMD dispatch (Highway target bits, HWY_AVX2 etc.) ------------------------------------ */

/* Targets compiled into this library. */
KN_API int64_t kn_compiled_targets(void);
/* Compiled targets this CPU can run (not affected by kn_restrict_targets). */
KN_API int64_t kn_supported_targets(void);
/* The target kernels dispatch to now. */
KN_API int64_t kn_active_target(void);
/* Name of one target bit ("AVX2", "SSE4", ...); never null. */
KN_API const char* kn_target_name(int64_t target);
/* Restricts dispatch to targets (a mask of target bits) for every thread; 0 restores the CPU's best.
 * KN_UNSUPPORTED when the mask holds no target this CPU supports. Not thread-safe against
 * concurrently running kernels: meant for tests and benchmarks. */
KN_API kn_status kn_restrict_targets(int64_t targets);

/* ---- reduce ------------------------------------------------------------------------------ */

/* dst[i] = op(a[i], b[i]) * scale. dst may alias a or b exactly. */
KN_API kn_status kn_reduce(kn_dtype dtype, kn_reduce_op op, const void* a, const void* b, void* dst,
                           size_t count, float scale);
/* dst[i] = op(dst[i], src[i]) * scale. */
KN_API kn_status kn_reduce_accumulate(kn_dtype dtype, kn_reduce_op op, void* dst, const void* src,
                                      size_t count, float scale);

/* ---- convert ----------------------------------------------------------------------------- */

/* dst[i] = (dst_type)(src[i] * scale), rounding to nearest even. The multiply is skipped when
 * scale == 1, so a same-type convert with scale 1 is an exact copy. dst may alias src only when
 * both types have the same size. */
KN_API kn_status kn_convert(kn_dtype src_type, const void* src, kn_dtype dst_type, void* dst,
                            size_t count, float scale);

/* ---- norm -------------------------------------------------------------------------------- */

/* Per row of x (rows, cols): y = x / sqrt(mean(x^2) + eps) * weight.  weight: (cols).
 * y may alias x exactly. */
KN_API kn_status kn_rms_norm(kn_dtype dtype, const void* x, const void* weight, void* y, size_t rows,
                             size_t cols, float eps);
/* Per row: residual = x + residual (rounded to dtype, written back), y = RMSNorm(residual) * weight.
 * x, residual, y: (rows, cols); weight: (cols). y may alias x exactly. */
KN_API kn_status kn_add_rms_norm(kn_dtype dtype, const void* x, void* residual, const void* weight,
                                 void* y, size_t rows, size_t cols, float eps);
/* kn_add_rms_norm for rows whose results other readers fetch soon (the fused all-reduce + RMSNorm):
 * bit-identical residual and y, and each row's updated residual and y are also written to
 * residual_copy and y_copy, (rows, cols), with regular stores, while y itself is written with
 * non-temporal stores (no write-allocate read; it leaves the cache: for large outputs only).
 * y_copy may alias x exactly; no other overlap. */
KN_API kn_status kn_add_rms_norm_publish(kn_dtype dtype, const void* x, void* residual,
                                         const void* weight, void* y, void* y_copy,
                                         void* residual_copy, size_t rows, size_t cols, float eps);
/* dst = src, an exact copy of `bytes` bytes written with non-temporal stores (no write-allocate
 * read; dst leaves the cache): for large outputs not read again soon. No overlap. */
KN_API kn_status kn_stream_copy(void* dst, const void* src, size_t bytes);

/* ---- compress: gradient compression building blocks ---------------------------------------- */
/* All f32. Magnitude order: |x| compared as its IEEE bit pattern with the sign cleared, which orders
 * finite values and +Inf like |x|; every NaN ranks above +Inf (all NaNs tie with each other), so a
 * NaN gradient is always selected and reaches the receiver instead of hiding in a residual.
 * Indices are uint32_t, so n < 2^32. */

/* Exact top-k by magnitude, O(n) without sorting (radix select on the magnitude bits, then one
 * filter pass). Writes the k elements with the largest |x| (ties: lower index first) as indices
 * sorted ascending and their values x[index], bit for bit. 1 <= k <= n. */
KN_API kn_status kn_topk_exact(const float* x, size_t n, size_t k, uint32_t* indices, float* values);
/* Sampled-threshold top-k (Deep Gradient Compression): the threshold is the ceil(k * s / n)-th
 * largest magnitude among s = sample_size positions drawn with replacement from a SplitMix64 stream
 * seeded by `seed`; every element whose magnitude is >= the threshold is kept, in index order. When
 * more than `capacity` (>= k) would be kept, the result is the exact top-k instead. *kept receives
 * the number written (<= capacity). 1 <= k <= n, 1 <= sample_size. */
KN_API kn_status kn_topk_sampled(const float* x, size_t n, size_t k, size_t sample_size, uint64_t seed,
                                 size_t capacity, uint32_t* indices, float* values, size_t* kept);
/* dense[indices[j]] = values[j] for j in [0, count), in j order (a repeated index keeps the last
 * value); other elements are untouched. Every index must be < n, checked before anything is written. */
KN_API kn_status kn_sparse_scatter(const uint32_t* indices, const float* values, size_t count,
                                   float* dense, size_t n);
/* dense[indices[j]] += values[j] for j in [0, count), in j order; indices checked as above. */
KN_API kn_status kn_sparse_scatter_add(const uint32_t* indices, const float* values, size_t count,
                                       float* dense, size_t n);

/* How 1-bit compression scales a chunk. Non-finite elements (NaN, +-Inf) are left out of the
 * scale: it is the mean |x| or the RMS over the chunk's finite elements (0 when there are none). */
typedef enum kn_scale_kind {
  KN_SCALE_MEAN_ABS = 0,
  KN_SCALE_RMS = 1,
} kn_scale_kind;

/* 1-bit compression. signs: ceil(n / 32) words; element i is bit i % 32 of word i / 32, set when
 * x[i] < 0 or x[i] is a NaN with its sign bit set (+0 and -0 both count as non-negative); bits past
 * n are 0. scales: ceil(n / chunk) values, one per chunk of `chunk` elements (the last may be
 * shorter). The scale's sum runs over 16 fixed partial sums (chunk element j into sum j % 16,
 * combined pairwise), so every target gives the same bits. A non-finite element still gets its sign
 * bit and decompresses to +-scale. */
KN_API kn_status kn_onebit_compress(const float* x, size_t n, size_t chunk, kn_scale_kind kind,
                                    uint32_t* signs, float* scales);
/* dst[i] = bit i set ? -scales[i / chunk] : +scales[i / chunk]. */
KN_API kn_status kn_onebit_decompress(const uint32_t* signs, const float* scales, size_t n,
                                      size_t chunk, float* dst);
/* Fused compress with error feedback, chunk by chunk: c = g + e; (signs, scales) = compress(c);
 * e_new = -(decompress - c), which is c - decompress except that an exactly reconstructed element
 * leaves -0, the additive identity. e_new may alias e exactly. */
KN_API kn_status kn_onebit_compress_ef(const float* g, const float* e, size_t n, size_t chunk,
                                       kn_scale_kind kind, uint32_t* signs, float* scales,
                                       float* e_new);

/* PowerSGD products, all row-major: m (rows, cols), q (cols, rank), p (rows, rank); 1 <= rank <= 32.
 * m_q and mt_p sum each output element in ascending order of the inner index, one multiply-add per
 * term (fused on targets with FMA, so results differ between targets by rounding). */
/* p = m q. m is read once. */
KN_API kn_status kn_lowrank_m_q(const float* m, const float* q, float* p, size_t rows, size_t cols,
                                size_t rank);
/* q = m^T p. m is read once. */
KN_API kn_status kn_lowrank_mt_p(const float* m, const float* p, float* q, size_t rows, size_t cols,
                                 size_t rank);
/* m = p q^T: the rank-`rank` reconstruction (rows, cols); multiply then add in ascending rank order,
 * the same bits on every target. */
KN_API kn_status kn_lowrank_p_qt(const float* p, const float* q, float* m, size_t rows, size_t cols,
                                 size_t rank);
/* Modified Gram-Schmidt on the columns of p (rows, rank), in place: column c loses its projection on
 * each earlier column in turn, then is multiplied by 1 / (its norm + eps): a zero column stays 0 and
 * a dependent one stays finite (its rounding noise, scaled to norm < 1). Scalar fp32, the same bits
 * on every target. eps finite and > 0. */
KN_API kn_status kn_orthonormalize_columns(float* p, size_t rows, size_t rank, float eps);

/* ---- attention: FlashAttention-2 on CPU --------------------------------------------------------- */
/* Tensors are [batch, seq, heads, dim] with dim contiguous and the other strides given, in elements,
 * as int64_t[3] = {batch, seq, head}: q (batch, seq_q, heads, head_dim), k (batch, seq_k, kv_heads,
 * head_dim), v (batch, seq_k, kv_heads, value_head_dim), o (batch, seq_q, heads, value_head_dim).
 * lse is f32 (batch, seq_q, heads), contiguous: the natural-log log-sum-exp of each row's scores.
 * Scores: s = scale * q.k, or with softcap > 0 s = softcap * tanh(scale * q.k / softcap); O =
 * softmax(s) V over the visible keys, accumulated in fp32 and rounded once to dtype.
 * Visible keys of query i (bottom-right aligned, as FlashAttention >= 2.1): with diag = i + seq_k -
 * seq_q, causal keeps j <= diag, window_left >= 0 keeps j >= diag - window_left, window_right >= 0
 * keeps j <= diag + window_right (-1 = unlimited). A row that sees no key gets O = 0, lse = -inf.
 * GQA/MQA: query head h reads kv head h / (heads / kv_heads). head dims 1..256, seq <= 2^30.
 * Work is split into items the caller may hand to different threads: forward and dq items are
 * (batch * heads) x ceil(seq_q / block) (query tile fastest), dk/dv items (batch * kv_heads) x
 * ceil(seq_k / block); each item writes only its own rows. Every call needs a private 64-byte
 * aligned workspace of kn_flash_attention_workspace_size bytes. */

/* Rows per query tile and keys per key tile of the work items (64). */
KN_API size_t kn_attention_block(void);
/* Bytes of workspace a forward or backward call needs. */
KN_API size_t kn_flash_attention_workspace_size(size_t head_dim, size_t value_head_dim);
/* Writes o and lse for work items [item_begin, item_begin + item_count). */
KN_API kn_status kn_flash_attention_forward(kn_dtype dtype, const void* q, const void* k, const void* v,
                                            void* o, float* lse, size_t batch, size_t seq_q, size_t seq_k,
                                            size_t heads, size_t kv_heads, size_t head_dim,
                                            size_t value_head_dim, const int64_t* q_strides,
                                            const int64_t* k_strides, const int64_t* v_strides,
                                            const int64_t* o_strides, float scale, int32_t causal,
                                            int64_t window_left, int64_t window_right, float softcap,
                                            size_t item_begin, size_t item_count, void* workspace,
                                            size_t workspace_bytes);
/* Split-KV forward for few query rows over many keys: the key tiles are cut into key_splits >= 1
 * contiguous ranges (split s: tiles [s * T / key_splits, (s + 1) * T / key_splits) of T =
 * ceil(seq_k / block)) and each (query item, split) pair is a work item (split fastest), so a
 * single query tile can use every core. Writes fp32 partials: o_partial (key_splits, batch, seq_q,
 * heads, value_head_dim) and lse_partial (key_splits, batch, seq_q, heads), contiguous; merge the
 * planes with kn_attention_merge (a split that sees no key has O = 0, lse = -inf). */
KN_API kn_status kn_flash_attention_forward_split(kn_dtype dtype, const void* q, const void* k,
                                                  const void* v, float* o_partial, float* lse_partial,
                                                  size_t batch, size_t seq_q, size_t seq_k,
                                                  size_t heads, size_t kv_heads, size_t head_dim,
                                                  size_t value_head_dim, const int64_t* q_strides,
                                                  const int64_t* k_strides, const int64_t* v_strides,
                                                  float scale, int32_t causal, int64_t window_left,
                                                  int64_t window_right, float softcap,
                                                  size_t key_splits, size_t item_begin,
                                                  size_t item_count, void* workspace,
                                                  size_t workspace_bytes);
/* Backward, two passes that never write the same element, both recomputing P from lse and
 * D = rowsum(d_o * o) per query row. Gradients share their tensor's strides (dq: q, dk: k, dv: v,
 * d_o: o). Accumulation order, fixed, so results are bitwise reproducible for any thread split:
 * dk/dv of a key tile sum over the query heads of its kv head in ascending order, then query tiles
 * ascending, then rows ascending; dq of a query row sums over key tiles ascending, then keys
 * ascending. Work items: (batch * kv_heads) x key tiles. */
KN_API kn_status kn_flash_attention_backward_dkdv(kn_dtype dtype, const void* q, const void* k,
                                                  const void* v, const void* o, const float* lse,
                                                  const void* d_o, void* dk, void* dv, size_t batch,
                                                  size_t seq_q, size_t seq_k, size_t heads,
                                                  size_t kv_heads, size_t head_dim,
                                                  size_t value_head_dim, const int64_t* q_strides,
                                                  const int64_t* k_strides, const int64_t* v_strides,
                                                  const int64_t* o_strides, float scale, int32_t causal,
                                                  int64_t window_left, int64_t window_right,
                                                  float softcap, size_t item_begin, size_t item_count,
                                                  void* workspace, size_t workspace_bytes);
/* The dq pass; work items as the forward's. */
KN_API kn_status kn_flash_attention_backward_dq(kn_dtype dtype, const void* q, const void* k,
                                                const void* v, const void* o, const float* lse,
                                                const void* d_o, void* dq, size_t batch, size_t seq_q,
                                                size_t seq_k, size_t heads, size_t kv_heads,
                                                size_t head_dim, size_t value_head_dim,
                                                const int64_t* q_strides, const int64_t* k_strides,
                                                const int64_t* v_strides, const int64_t* o_strides,
                                                float scale, int32_t causal, int64_t window_left,
                                                int64_t window_right, float softcap, size_t item_begin,
                                                size_t item_count, void* workspace,
                                                size_t workspace_bytes);
/* Exact merge of two attention results over disjoint key sets, row by row: o_a, o_b, o (rows,
 * value_dim) in dtype, lse_* (rows) f32. lse = log(exp(lse_a) + exp(lse_b)) (computed as
 * max + log1p(exp(min - max))), o = exp(lse_a - lse) o_a + exp(lse_b - lse) o_b in fp32. A side with
 * lse = -inf contributes nothing; both -inf gives o = 0, lse = -inf. A NaN lse gives NaN. o may
 * alias o_a or o_b exactly, lse may alias lse_a or lse_b exactly. */
KN_API kn_status kn_attention_merge(kn_dtype dtype, const void* o_a, const float* lse_a, const void* o_b,
                                    const float* lse_b, void* o, float* lse, size_t rows,
                                    size_t value_dim);

/* ---- compress: 1-bit with f16 / bf16 gradients --------------------------------------------- */
/* kn_onebit_compress, kn_onebit_decompress and kn_onebit_compress_ef for x, g or dst in `dtype`
 * (KN_F32 gives exactly the f32 functions). A 16-bit input is widened to fp32 exactly and everything
 * after is the f32 arithmetic, so signs, scales and e_new are those of the f32 call on the widened
 * values, on every target; the residual e / e_new and the scales stay fp32. Decompression writes
 * +-scale rounded to dtype (nearest even; a scale beyond the f16 range becomes +-Inf). */
KN_API kn_status kn_onebit_compress_typed(kn_dtype dtype, const void* x, size_t n, size_t chunk,
                                          kn_scale_kind kind, uint32_t* signs, float* scales);
KN_API kn_status kn_onebit_decompress_typed(const uint32_t* signs, const float* scales, size_t n,
                                            size_t chunk, kn_dtype dtype, void* dst);
KN_API kn_status kn_onebit_compress_ef_typed(kn_dtype dtype, const void* g, const float* e, size_t n,
                                             size_t chunk, kn_scale_kind kind, uint32_t* signs,
                                             float* scales, float* e_new);

/* ---- compress: PowerSGD over a column block ------------------------------------------------- */
/* q = m^T p for the (rows, cols) block of a row-major matrix whose rows are `ld` floats apart
 * (ld >= cols; m points at the block's first element): the sums of kn_lowrank_mt_p, in its order,
 * so splitting the columns of a matrix over threads gives kn_lowrank_mt_p's bits. */
KN_API kn_status kn_lowrank_mt_p_strided(const float* m, size_t ld, const float* p, float* q,
                                         size_t rows, size_t cols, size_t rank);

#ifdef __cplusplus
}
#endif

#endif /* KERNELS_H */
