#include "case_result.h"

#include <cstdio>

namespace peers {

double BusFactor(const std::string& collective, int ranks) {
  const double n = ranks;
  return collective == "allreduce" ? 2 * (n - 1) / n : (n - 1) / n;
}

void PrintJsonLine(const CaseResult& r) {
  const double algbw = r.bytes / r.seconds / 1e9;
  // Library strings come from MPI_Get_library_version: drop quotes and backslashes rather than escape them.
  std::string library;
  for (char c : r.library) {
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) library += c;
  }
  std::printf(
      "{\"peer\":\"%s\",\"library\":\"%s\",\"collective\":\"%s\",\"algorithm\":\"%s\",\"dtype\":\"f32\",\"op\":\"sum\","
      "\"ranks\":%d,\"bytes\":%zu,\"count\":%zu,\"time_us\":%.6g,\"calls\":%ld,\"algbw_gbs\":%.6g,\"busbw_gbs\":%.6g,"
      "\"wrong\":%ld}\n",
      r.peer.c_str(), library.c_str(), r.collective.c_str(), r.algorithm.c_str(), r.ranks, r.bytes, r.count, r.seconds * 1e6,
      r.calls, algbw, algbw * BusFactor(r.collective, r.ranks), r.wrong);
  std::fflush(stdout);
}

}  // namespace peers
