// Times one collective at one size the way both peers do, so their figures compare: warm-up calls, then
// batches of calls sized to about `seconds` in total, the median batch's per-call time. Every rank must
// make the same number of calls, so each decision about counts uses the slowest rank's time (`max_over_ranks`,
// a collective itself, run outside the timed region).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace peers {

struct CaseTiming {
  double seconds_per_call;  // median batch, slowest rank
  long calls;               // timed calls in total
};

template <typename Call, typename MaxOverRanks>
CaseTiming TimeCase(Call&& call, double seconds, MaxOverRanks&& max_over_ranks) {
  using Clock = std::chrono::steady_clock;
  auto elapsed = [](Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); };

  // One untimed call (page faults, connection set-up, algorithm selection, JIT in managed ranks), then warm-up
  // rounds of 1, 2, 4, ... calls until a round of at least 4 calls lasts a tenth of the budget or the rounds have
  // used half of it (the largest messages: one round of one call). On a shared machine any round may be
  // preempted, so the fastest round's per-call time is the estimate.
  call();
  double estimate = 1e30, spent = 0;
  for (long calls = 1;; calls *= 2) {
    Clock::time_point start = Clock::now();
    for (long i = 0; i < calls; i++) call();
    const double round = max_over_ranks(elapsed(start));
    estimate = std::min(estimate, round / calls);
    spent += round;
    if ((calls >= 4 && round >= 0.1 * seconds) || spent >= 0.5 * seconds) break;
  }

  // Up to five batches (fewer when one call already takes longer than a fifth of the budget). When the machine
  // slows down after the estimate, batches stop once they have used 1.5x the budget: the times they are judged by
  // are the agreed ones, so every rank stops after the same batch.
  const long total = std::clamp(static_cast<long>(seconds / std::max(estimate, 1e-9)), 1L, 1000000L);
  const long batches = std::min(5L, total);
  const long per_batch = total / batches;
  std::vector<double> samples;
  double timed = 0;
  for (long b = 0; b < batches && timed < 1.5 * seconds; b++) {
    Clock::time_point start = Clock::now();
    for (long i = 0; i < per_batch; i++) call();
    samples.push_back(max_over_ranks(elapsed(start) / per_batch));
    timed += samples.back() * per_batch;
  }
  const long calls = static_cast<long>(samples.size()) * per_batch;
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], calls};
}

}  // namespace peers
