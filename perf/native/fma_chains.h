// fma_chains.h — the FMA peak loop, for any vector width S (simd_avx2.h / simd_avx512.h).
// 12 independent accumulator chains: two FMA pipes x 4-5 cycles latency need >= 10 in flight.
#pragma once
#include "thread_team.h"

namespace kp {
// Internal linkage: each ISA source gets its own copy, built with its own flags.
namespace {

constexpr int kFmaChains = 12;
constexpr long kFmaIterationsPerCheck = 1L << 20;

// Runs FMA blocks until `seconds` have passed; returns the FMA instructions issued.
template <class S>
long fma_chains_for(double seconds, float* sink) {
  typename S::V acc[kFmaChains];
  for (int c = 0; c < kFmaChains; ++c) acc[c] = S::set1(0.001f * c);
  // Converges to add / (1 - mul) = 0.1: no overflow, no denormals.
  const typename S::V mul = S::set1(0.999999f), add = S::set1(1e-7f);
  long issued = 0;
  const double end = seconds_now() + seconds;
  do {
    for (long i = 0; i < kFmaIterationsPerCheck; ++i) {
      for (int c = 0; c < kFmaChains; ++c) acc[c] = S::fmadd(acc[c], mul, add);
    }
    issued += kFmaIterationsPerCheck * kFmaChains;
  } while (seconds_now() < end);
  typename S::V total = acc[0];
  for (int c = 1; c < kFmaChains; ++c) total = S::add(total, acc[c]);
  *sink = S::sum(total);  // keeps the chains alive
  return issued;
}

}  // namespace
}  // namespace kp
