// One JSON line per (collective, size) on stdout, the format the benchmark suite parses
// (perf/Kernels.Perf/Collectives/PeerResults.cs). Figures follow nccl-tests: `bytes` is the whole
// vector (all-reduce: the buffer; reduce-scatter: the input; all-gather: the output), algbw = bytes / time,
// busbw = algbw x 2(n-1)/n for all-reduce and x (n-1)/n for reduce-scatter and all-gather.
#pragma once

#include <cstddef>
#include <string>

namespace peers {

struct CaseResult {
  std::string peer;        // "mpi", "gloo"
  std::string library;     // e.g. "Open MPI v4.1.4"
  std::string collective;  // "allreduce", "reduce_scatter", "allgather"
  std::string algorithm;   // e.g. "MPI_Allreduce", "gloo::AllreduceRing"
  int ranks = 0;
  size_t bytes = 0;
  size_t count = 0;        // elements per rank's input
  double seconds = 0;
  long calls = 0;
  long wrong = 0;          // elements differing from the expected result
};

// nccl-tests' bus-bandwidth factor for a collective ("allreduce": 2(n-1)/n, others (n-1)/n).
double BusFactor(const std::string& collective, int ranks);

// Prints the result as one JSON line and flushes (the suite reads lines as they come).
void PrintJsonLine(const CaseResult& result);

}  // namespace peers
