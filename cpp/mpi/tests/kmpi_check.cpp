// kmpi_check: exercises every libkernels_mpi call across real MPI processes, for the shim's test
// (tests/Kernels.Tests/Collectives/Mpi/MpiShimJobTests.cs runs it as `mpirun -n 2|3 kmpi_check` and, built against MPICH,
// `mpiexec.hydra -n 2|3 kmpi_check_mpich`). Each rank checks its own results; the first failure prints "FAIL <what>" and
// exits 1, success prints "OK" on rank 0 with the MPI library's version, so the test sees which MPI did the work.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels_mpi.h"

namespace {

int rank = 0, size = 0;

void Expect(bool condition, const char* what) {
  if (condition) return;
  std::printf("FAIL rank %d: %s (%s)\n", rank, what, kmpi_last_error());
  std::fflush(stdout);
  kmpi_abort(nullptr, 1);
}

void Ok(kmpi_status status, const char* what) { Expect(status == KMPI_OK, what); }

uint16_t Bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return static_cast<uint16_t>(bits >> 16);  // exact for the small integers used here
}

float FromBf16(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

// Small integers and halves are exact in f16: 1.0 = 0x3C00, 2.0 = 0x4000, and n = exponent and mantissa built here.
uint16_t F16(int n) {
  int exponent = 0;
  while ((1 << (exponent + 1)) <= n) exponent++;
  uint16_t mantissa = static_cast<uint16_t>(((n - (1 << exponent)) << 10) >> exponent);
  return static_cast<uint16_t>(((exponent + 15) << 10) | mantissa);
}

void CheckReductions(void* comm) {
  const int n = size, sum_of_ranks = n * (n + 1) / 2;
  std::vector<float> f32(7, static_cast<float>(rank + 1));
  Ok(kmpi_allreduce(comm, f32.data(), f32.data(), f32.size(), KMPI_F32, KMPI_OP_SUM), "in-place f32 allreduce");
  for (float v : f32) Expect(v == sum_of_ranks, "in-place f32 sum");

  std::vector<uint16_t> bf16(5, Bf16(static_cast<float>(rank + 1))), bf16_out(5);
  Ok(kmpi_allreduce(comm, bf16.data(), bf16_out.data(), bf16.size(), KMPI_BF16, KMPI_OP_MAX), "bf16 allreduce through f32");
  for (uint16_t v : bf16_out) Expect(FromBf16(v) == n, "bf16 max");

  std::vector<uint16_t> f16(3, F16(rank + 1));
  Ok(kmpi_allreduce(comm, f16.data(), f16.data(), f16.size(), KMPI_F16, KMPI_OP_SUM), "f16 allreduce through f32");
  for (uint16_t v : f16) Expect(v == F16(sum_of_ranks), "f16 sum");

  std::vector<float> blocks(3 * n), mine(3);
  for (int i = 0; i < 3 * n; i++) blocks[i] = static_cast<float>(i);
  Ok(kmpi_reduce_scatter_block(comm, blocks.data(), mine.data(), 3, KMPI_F32, KMPI_OP_SUM), "reduce_scatter_block");
  for (int j = 0; j < 3; j++) Expect(mine[j] == n * static_cast<float>(rank * 3 + j), "reduce_scatter_block values");

  std::vector<uint16_t> half_blocks(2 * n, F16(1)), half_mine(2);
  Ok(kmpi_reduce_scatter_block(comm, half_blocks.data(), half_mine.data(), 2, KMPI_F16, KMPI_OP_SUM), "f16 reduce_scatter_block");
  for (uint16_t v : half_mine) Expect(v == F16(n), "f16 reduce_scatter_block values");
}

void CheckDataMovement(void* comm) {
  const int n = size;
  int32_t mine[2] = {rank, -rank};
  std::vector<int32_t> all(2 * n);
  Ok(kmpi_allgather(comm, mine, all.data(), 2, KMPI_I32), "allgather");
  for (int r = 0; r < n; r++) Expect(all[2 * r] == r && all[2 * r + 1] == -r, "allgather order");

  double value = rank == n - 1 ? 2.5 : 0;
  Ok(kmpi_bcast(comm, &value, 1, KMPI_F64, n - 1), "bcast");
  Expect(value == 2.5, "bcast value");

  // A ring of send/recv: even ranks send first, so no pair deadlocks on unbuffered sends.
  uint8_t out[4] = {static_cast<uint8_t>(rank), 1, 2, 3}, in[4] = {};
  int next = (rank + 1) % n, previous = (rank + n - 1) % n;
  if (rank % 2 == 0) {
    Ok(kmpi_send(comm, out, 4, KMPI_BYTE, next, 7), "send");
    Ok(kmpi_recv(comm, in, 4, KMPI_BYTE, previous, 7), "recv");
  } else {
    Ok(kmpi_recv(comm, in, 4, KMPI_BYTE, previous, 7), "recv");
    Ok(kmpi_send(comm, out, 4, KMPI_BYTE, next, 7), "send");
  }
  Expect(in[0] == previous && in[3] == 3, "recv contents");
  Ok(kmpi_barrier(comm), "barrier");
}

// Polls a non-blocking request to completion, as the managed code does (there with a deadline).
kmpi_status Complete(void* request) {
  int32_t done = 0;
  kmpi_status status = KMPI_OK;
  while (status == KMPI_OK && !done) status = kmpi_test(&request, &done);
  Expect(status != KMPI_OK || request == nullptr, "completed request handle released");
  return status;
}

void CheckNonBlocking(void* comm) {
  const int n = size;
  void* request = nullptr;
  int32_t mine[2] = {rank, -rank};
  std::vector<int32_t> all(2 * n);
  Ok(kmpi_iallgather(comm, mine, all.data(), 2, KMPI_I32, &request), "iallgather");
  Ok(Complete(request), "iallgather completes");
  for (int r = 0; r < n; r++) Expect(all[2 * r] == r && all[2 * r + 1] == -r, "iallgather order");

  // Rank r contributes r + 1 bytes, all equal to r.
  std::vector<int64_t> counts(n);
  int64_t total = 0;
  for (int r = 0; r < n; r++) total += counts[r] = r + 1;
  std::vector<uint8_t> own(rank + 1, static_cast<uint8_t>(rank)), gathered(total);
  Ok(kmpi_iallgatherv(comm, own.data(), own.size(), gathered.data(), counts.data(), KMPI_BYTE, &request), "iallgatherv");
  Ok(Complete(request), "iallgatherv completes");
  for (int r = 0, at = 0; r < n; at += r + 1, r++)
    for (int i = 0; i <= r; i++) Expect(gathered[at + i] == r, "iallgatherv packing");

  double value = rank == 0 ? -1.5 : 0;
  Ok(kmpi_ibcast(comm, &value, 1, KMPI_F64, 0, &request), "ibcast");
  Ok(Complete(request), "ibcast completes");
  Expect(value == -1.5, "ibcast value");

  // Every rank sends to the next and receives from the previous at once: non-blocking, so no ordering is needed.
  int next = (rank + 1) % n, previous = (rank + n - 1) % n;
  float out[3] = {static_cast<float>(rank), 1, 2}, in[3] = {};
  void* receiving = nullptr;
  Ok(kmpi_irecv(comm, in, 3, KMPI_F32, previous, 9, &receiving), "irecv");
  Ok(kmpi_isend(comm, out, 3, KMPI_F32, next, 9, &request), "isend");
  Ok(Complete(request), "isend completes");
  Ok(Complete(receiving), "irecv completes");
  Expect(in[0] == previous && in[2] == 2, "irecv contents");

  // A receive expecting more than is sent completes with an error rather than a short buffer.
  float longer[4] = {};
  Ok(kmpi_irecv(comm, longer, 4, KMPI_F32, previous, 10, &receiving), "irecv (count mismatch)");
  Ok(kmpi_isend(comm, out, 3, KMPI_F32, next, 10, &request), "isend (count mismatch)");
  Ok(Complete(request), "isend (count mismatch) completes");
  Expect(Complete(receiving) == KMPI_MPI_ERROR, "irecv of a shorter message reports the count");

  Expect(kmpi_ibcast(comm, &value, 1, KMPI_F64, n, &request) == KMPI_INVALID_ARGUMENT, "ibcast root out of range rejected");
  Expect(kmpi_iallgather(comm, mine, all.data(), 2, KMPI_I32, nullptr) == KMPI_INVALID_ARGUMENT, "null request pointer rejected");
  int64_t negative[64] = {};
  negative[0] = -1;
  Expect(n > 64 || kmpi_iallgatherv(comm, own.data(), 0, gathered.data(), negative, KMPI_BYTE, &request) == KMPI_INVALID_ARGUMENT,
         "negative iallgatherv count rejected");
}

void CheckArgumentErrors(void* comm) {
  float x = 0;
  Expect(kmpi_allreduce(comm, &x, &x, 1, KMPI_BYTE, KMPI_OP_SUM) == KMPI_INVALID_ARGUMENT, "byte reduction rejected");
  Expect(kmpi_bcast(comm, &x, 1, KMPI_F32, size) == KMPI_INVALID_ARGUMENT, "bcast root out of range rejected");
  Expect(kmpi_allreduce(comm, nullptr, nullptr, 1, KMPI_F32, KMPI_OP_SUM) == KMPI_INVALID_ARGUMENT, "null buffer rejected");
  Expect(kmpi_allreduce(comm, nullptr, nullptr, 0, KMPI_F32, KMPI_OP_SUM) == KMPI_OK, "empty allreduce allowed");
}

}  // namespace

int main() {
  kmpi_thread_level provided;
  Ok(kmpi_init(KMPI_THREAD_SERIALIZED, &provided), "init");
  Expect(kmpi_is_initialized() == 1, "initialised");
  void* world = nullptr;
  Ok(kmpi_comm_world(&world), "world");
  Ok(kmpi_comm_rank(world, &rank), "rank");
  Ok(kmpi_comm_size(world, &size), "size");

  void* duplicate = nullptr;
  void* host = nullptr;
  void* halves = nullptr;
  Ok(kmpi_comm_dup(world, &duplicate), "dup");
  Ok(kmpi_comm_split_host(world, &host), "split_host");
  int32_t host_size = 0;
  Ok(kmpi_comm_size(host, &host_size), "host size");
  Expect(host_size == size, "every rank on this host");
  Ok(kmpi_comm_split(world, rank % 2, rank, &halves), "split");
  int32_t half_rank = -1;
  Ok(kmpi_comm_rank(halves, &half_rank), "split rank");
  Expect(half_rank == rank / 2, "split ordered by key");

  CheckReductions(duplicate);
  CheckDataMovement(duplicate);
  CheckNonBlocking(duplicate);
  CheckArgumentErrors(duplicate);
  const double start = kmpi_wtime();
  Expect(kmpi_wtime() >= start, "wtime monotonic");

  Ok(kmpi_comm_free(&halves), "free split");
  Ok(kmpi_comm_free(&host), "free host");
  Ok(kmpi_comm_free(&duplicate), "free dup");
  Ok(kmpi_comm_free(&world), "free world handle");
  Expect(world == nullptr, "free clears the handle");
  Ok(kmpi_finalize(), "finalize");
  if (rank == 0) std::printf("OK %d ranks; library: %s\n", size, kmpi_library_version());
  return 0;
}
