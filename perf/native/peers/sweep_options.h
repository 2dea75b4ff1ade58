// Command-line options both benchmark peers share: which sizes to sweep and how long to time each.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace peers {

struct SweepOptions {
  // Bytes of the whole vector of each case, as nccl-tests counts them (see CaseResult in timed_case.h).
  std::vector<size_t> sizes;
  // Timed seconds per size (after warm-up); the slowest sizes take at least one call whatever this says.
  double seconds = 0.05;
};

// Parses `--quick` (a few small sizes), `--sizes a,b,c` (bytes) and `--seconds s` from argv[first..];
// default: 8 B .. 256 MiB in x4 steps, 256 MiB last. Exits with a message on a bad option.
SweepOptions ParseSweepOptions(int argc, char** argv, int first);

}  // namespace peers
