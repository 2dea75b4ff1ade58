// kn_peer_mpi: the MPI benchmark peer. Run under mpirun (e.g. `mpirun -n 2 kn_peer_mpi [--quick]`); it
// times MPI_Allreduce, MPI_Reduce_scatter_block and MPI_Allgather on f32 (sum) through libkernels_mpi, the
// same shim the library uses, for each size, and rank 0 prints one JSON line per case (case_result.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "case_result.h"
#include "kernels_mpi.h"
#include "sweep_options.h"
#include "test_values.h"
#include "timed_case.h"

namespace {

void Require(kmpi_status status, const char* what) {
  if (status == KMPI_OK) return;
  std::fprintf(stderr, "kn_peer_mpi: %s failed: %s\n", what, kmpi_last_error());
  kmpi_abort(nullptr, 1);
  std::exit(1);
}

struct Job {
  void* comm = nullptr;
  int rank = 0;
  int size = 0;

  double MaxOverRanks(double value) const {
    Require(kmpi_allreduce(comm, &value, &value, 1, KMPI_F64, KMPI_OP_MAX), "agreeing on a time");
    return value;
  }

  long SumOverRanks(long value) const {
    double total = static_cast<double>(value);
    Require(kmpi_allreduce(comm, &total, &total, 1, KMPI_F64, KMPI_OP_SUM), "summing #wrong");
    return static_cast<long>(total);
  }
};

// Times `call`, checks `output` against `expected(i)`, and prints the case on rank 0.
template <typename Call, typename Expected>
void RunCase(const Job& job, const peers::SweepOptions& options, const char* collective, const char* algorithm, size_t bytes,
             size_t count, Call&& call, const std::vector<float>& output, Expected&& expected) {
  peers::CaseTiming timing = peers::TimeCase(call, options.seconds, [&](double t) { return job.MaxOverRanks(t); });
  long wrong = 0;
  for (size_t i = 0; i < output.size(); i++) wrong += output[i] != expected(i);
  wrong = job.SumOverRanks(wrong);
  if (job.rank == 0) {
    peers::PrintJsonLine({"mpi", kmpi_library_version(), collective, algorithm, job.size, bytes, count, timing.seconds_per_call,
                          timing.calls, wrong});
  }
}

void AllReduce(const Job& job, const peers::SweepOptions& options, size_t bytes) {
  const size_t count = bytes / sizeof(float);
  std::vector<float> input(count), output(count);
  for (size_t i = 0; i < count; i++) input[i] = peers::TestValue(job.rank, i);
  // Out of place, so every timed call computes the same sums and the last one can be checked.
  RunCase(job, options, "allreduce", "MPI_Allreduce", bytes, count,
          [&] { Require(kmpi_allreduce(job.comm, input.data(), output.data(), count, KMPI_F32, KMPI_OP_SUM), "allreduce"); },
          output, [&](size_t i) { return peers::ExpectedSum(job.size, i); });
}

void ReduceScatter(const Job& job, const peers::SweepOptions& options, size_t bytes) {
  const size_t block = std::max<size_t>(1, bytes / sizeof(float) / job.size);
  const size_t total = block * job.size;
  std::vector<float> input(total), output(block);
  for (size_t i = 0; i < total; i++) input[i] = peers::TestValue(job.rank, i);
  RunCase(job, options, "reduce_scatter", "MPI_Reduce_scatter_block", total * sizeof(float), total,
          [&] {
            Require(kmpi_reduce_scatter_block(job.comm, input.data(), output.data(), block, KMPI_F32, KMPI_OP_SUM), "reduce-scatter");
          },
          output, [&](size_t j) { return peers::ExpectedSum(job.size, job.rank * block + j); });
}

void AllGather(const Job& job, const peers::SweepOptions& options, size_t bytes) {
  const size_t block = std::max<size_t>(1, bytes / sizeof(float) / job.size);
  const size_t total = block * job.size;
  std::vector<float> input(block), output(total);
  for (size_t j = 0; j < block; j++) input[j] = peers::TestValue(job.rank, job.rank * block + j);
  RunCase(job, options, "allgather", "MPI_Allgather", total * sizeof(float), block,
          [&] { Require(kmpi_allgather(job.comm, input.data(), output.data(), block, KMPI_F32), "allgather"); },
          output, [&](size_t i) { return peers::TestValue(static_cast<int>(i / block), i); });
}

}  // namespace

int main(int argc, char** argv) {
  peers::SweepOptions options = peers::ParseSweepOptions(argc, argv, 1);
  kmpi_thread_level provided;
  Require(kmpi_init(KMPI_THREAD_SINGLE, &provided), "MPI initialisation");
  Job job;
  Require(kmpi_comm_world(&job.comm), "MPI_COMM_WORLD");
  Require(kmpi_comm_rank(job.comm, &job.rank), "rank");
  Require(kmpi_comm_size(job.comm, &job.size), "size");
  for (size_t bytes : options.sizes) {
    AllReduce(job, options, bytes);
    ReduceScatter(job, options, bytes);
    AllGather(job, options, bytes);
  }
  Require(kmpi_comm_free(&job.comm), "freeing the communicator");
  Require(kmpi_finalize(), "MPI_Finalize");
  return 0;
}
