// thread_team.h — runs one function on N std::threads and times the whole team, so each probe
// measures wall time from the first thread's start to the last thread's end.
#pragma once
#include <chrono>
#include <thread>
#include <vector>

namespace kp {
// Internal linkage: this header is compiled with different -m flags in different sources, and
// a shared inline copy could be an AVX-512 build called from plain code.
namespace {

inline double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Calls body(index) on `threads` threads (index 0 on the caller) and returns the wall seconds.
template <class Body>
double run_team(int threads, Body body) {
  if (threads < 1) threads = 1;
  std::vector<std::thread> team;
  team.reserve(threads - 1);
  const double start = seconds_now();
  for (int t = 1; t < threads; ++t) team.emplace_back(body, t);
  body(0);
  for (auto& worker : team) worker.join();
  return seconds_now() - start;
}

// Contiguous slice [begin, end) of `count` items for thread `index` of `threads`.
inline void slice_of(size_t count, int threads, int index, size_t* begin, size_t* end) {
  const size_t per = count / threads, extra = count % threads;
  *begin = index * per + (static_cast<size_t>(index) < extra ? index : extra);
  *end = *begin + per + (static_cast<size_t>(index) < extra ? 1 : 0);
}

}  // namespace
}  // namespace kp
