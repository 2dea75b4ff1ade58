// kn_peer_gloo: the Gloo benchmark peer (PyTorch's CPU collectives library, Debian's libgloo-dev).
// Start one process per rank: `kn_peer_gloo <rank> <size> <rendezvous-dir> [--quick] [--sizes ...] [--seconds s]`.
// Ranks meet through a gloo::rendezvous::FileStore in the (empty, private) rendezvous folder and connect
// over TCP on 127.0.0.1. Times gloo::AllreduceRing on f32 (sum) for each size; rank 0 prints one JSON
// line per case (case_result.h), as kn_peer_mpi does.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "case_result.h"
#include "gloo/allreduce_ring.h"
#include "gloo/config.h"
#include "gloo/rendezvous/context.h"
#include "gloo/rendezvous/file_store.h"
#include "gloo/transport/tcp/device.h"
#include "sweep_options.h"
#include "test_values.h"
#include "timed_case.h"

namespace {

const std::string kLibrary = "Gloo " + std::to_string(GLOO_VERSION_MAJOR) + "." + std::to_string(GLOO_VERSION_MINOR) + "." +
                             std::to_string(GLOO_VERSION_PATCH) + " (tcp, 127.0.0.1)";

// A one-element ring all-reduce with `fn`: how ranks agree on times and totals.
double ReduceOverRanks(const std::shared_ptr<gloo::Context>& context, double value, const gloo::ReductionFunction<double>* fn) {
  gloo::AllreduceRing<double> reduce(context, {&value}, 1, fn);
  reduce.run();
  return value;
}

void AllReduce(const std::shared_ptr<gloo::Context>& context, const peers::SweepOptions& options, size_t bytes) {
  const int rank = context->rank, size = context->size;
  const size_t count = bytes / sizeof(float);
  std::vector<float> data(count);
  auto fill = [&] {
    for (size_t i = 0; i < count; i++) data[i] = peers::TestValue(rank, i);
  };
  fill();
  // Gloo's algorithms are built once per buffer (buffer registration, inbox/outbox) and run many times, as
  // PyTorch caches them. The ring works in place: timed calls keep summing the growing values (finite
  // values and Inf cost the same), so the data is refilled and reduced once more for the check.
  gloo::AllreduceRing<float> ring(context, {data.data()}, static_cast<int>(count), gloo::ReductionFunction<float>::sum);
  peers::CaseTiming timing = peers::TimeCase([&] { ring.run(); }, options.seconds, [&](double t) {
    return ReduceOverRanks(context, t, gloo::ReductionFunction<double>::max);
  });
  fill();
  ring.run();
  long wrong = 0;
  for (size_t i = 0; i < count; i++) wrong += data[i] != peers::ExpectedSum(size, i);
  wrong = static_cast<long>(ReduceOverRanks(context, static_cast<double>(wrong), gloo::ReductionFunction<double>::sum));
  if (rank == 0) {
    peers::PrintJsonLine({"gloo", kLibrary, "allreduce", "gloo::AllreduceRing", size, bytes, count, timing.seconds_per_call,
                          timing.calls, wrong});
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: kn_peer_gloo <rank> <size> <rendezvous-dir> [--quick] [--sizes bytes,...] [--seconds s]\n");
    return 2;
  }
  const int rank = std::atoi(argv[1]), size = std::atoi(argv[2]);
  if (size < 1 || rank < 0 || rank >= size) {
    std::fprintf(stderr, "kn_peer_gloo: rank %s is not in 0..size-1 (size %s)\n", argv[1], argv[2]);
    return 2;
  }
  peers::SweepOptions options = peers::ParseSweepOptions(argc, argv, 4);
  try {
    gloo::transport::tcp::attr attr("127.0.0.1");
    auto device = gloo::transport::tcp::CreateDevice(attr);
    gloo::rendezvous::FileStore store(argv[3]);
    auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
    context->connectFullMesh(store, device);
    for (size_t bytes : options.sizes) AllReduce(context, options, bytes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kn_peer_gloo rank %d: %s\n", rank, e.what());
    return 1;
  }
  return 0;
}
