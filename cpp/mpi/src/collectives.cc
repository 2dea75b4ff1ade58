// Collectives and point-to-point on raw buffers. Each call checks its arguments before MPI sees them
// (MPI's own checks vary by implementation and build), then maps our enums onto MPI's handles.
#include <new>
#include <string>
#include <vector>

#include "half_conversion.h"
#include "shim.h"

using kmpi::Check;
using kmpi::Fail;

namespace {

// The arguments every call shares, resolved and checked once.
struct Call {
  MPI_Comm comm = MPI_COMM_NULL;
  int size = 0;
  MPI_Datatype type = MPI_DATATYPE_NULL;
};

kmpi_status Prepare(const char* what, void* comm, kmpi_dtype dtype, Call* call) {
  const kmpi::Communicator* resolved = kmpi::Resolve(comm);
  if (resolved == nullptr) return KMPI_INVALID_ARGUMENT;
  if (!kmpi::ElementType(dtype, &call->type)) return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": unknown element type");
  call->comm = resolved->comm;
  return Check(MPI_Comm_size(call->comm, &call->size), "MPI_Comm_size");
}

kmpi_status PrepareReduction(const char* what, void* comm, kmpi_dtype dtype, kmpi_op op, Call* call, MPI_Op* mpi_op) {
  kmpi_status status = Prepare(what, comm, dtype, call);
  if (status != KMPI_OK) return status;
  if (dtype == KMPI_BYTE || !kmpi::ReduceOp(op, mpi_op)) {
    return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": unknown op, or a byte buffer (data movement only)");
  }
  return KMPI_OK;
}

// Null is only allowed for empty buffers (one-buffer calls pass theirs twice).
kmpi_status CheckBuffers(const char* what, size_t count, const void* a, const void* b) {
  if (count > 0 && (a == nullptr || b == nullptr)) return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": null buffer");
  return KMPI_OK;
}

// A temporary f32 copy for a reduction of f16/bf16; empty (with the error recorded) when out of memory.
bool Allocate(std::vector<float>* buffer, size_t count, const char* what) {
  try {
    buffer->resize(count);
    return true;
  } catch (const std::bad_alloc&) {
    Fail(KMPI_MPI_ERROR, std::string(what) + ": out of memory for the f32 copy of a 16-bit reduction");
    return false;
  }
}

}  // namespace

extern "C" {

KMPI_API kmpi_status kmpi_allreduce(void* comm, const void* send, void* recv, size_t count, kmpi_dtype dtype, kmpi_op op) {
  const char* what = "kmpi_allreduce";
  Call call;
  MPI_Op mpi_op;
  kmpi_status status = PrepareReduction(what, comm, dtype, op, &call, &mpi_op);
  if (status != KMPI_OK) return status;
  if ((status = CheckBuffers(what, count, send, recv)) != KMPI_OK) return status;
  if (!kmpi::FitsMpiCount(count, what)) return KMPI_INVALID_ARGUMENT;
  if (kmpi::ReducesThroughF32(dtype)) {
    std::vector<float> wide;
    if (!Allocate(&wide, count, what)) return KMPI_MPI_ERROR;
    kmpi::WidenToF32(dtype, send, wide.data(), count);
    status = Check(MPI_Allreduce(MPI_IN_PLACE, wide.data(), static_cast<int>(count), MPI_FLOAT, mpi_op, call.comm), "MPI_Allreduce");
    if (status == KMPI_OK) kmpi::NarrowFromF32(dtype, wide.data(), recv, count);
    return status;
  }
  const void* source = send == recv ? MPI_IN_PLACE : send;
  return Check(MPI_Allreduce(source, recv, static_cast<int>(count), call.type, mpi_op, call.comm), "MPI_Allreduce");
}

KMPI_API kmpi_status kmpi_reduce_scatter_block(void* comm, const void* send, void* recv, size_t recv_count, kmpi_dtype dtype,
                                               kmpi_op op) {
  const char* what = "kmpi_reduce_scatter_block";
  Call call;
  MPI_Op mpi_op;
  kmpi_status status = PrepareReduction(what, comm, dtype, op, &call, &mpi_op);
  if (status != KMPI_OK) return status;
  if ((status = CheckBuffers(what, recv_count, send, recv)) != KMPI_OK) return status;
  // The whole send buffer must fit an int too: implementations index it with int offsets.
  if (!kmpi::FitsMpiCount(recv_count * static_cast<size_t>(call.size), what)) return KMPI_INVALID_ARGUMENT;
  const size_t total = recv_count * static_cast<size_t>(call.size);
  if (kmpi::ReducesThroughF32(dtype)) {
    std::vector<float> wide_send, wide_recv;
    if (!Allocate(&wide_send, total, what) || !Allocate(&wide_recv, recv_count, what)) return KMPI_MPI_ERROR;
    kmpi::WidenToF32(dtype, send, wide_send.data(), total);
    status = Check(MPI_Reduce_scatter_block(wide_send.data(), wide_recv.data(), static_cast<int>(recv_count), MPI_FLOAT, mpi_op,
                                            call.comm), "MPI_Reduce_scatter_block");
    if (status == KMPI_OK) kmpi::NarrowFromF32(dtype, wide_recv.data(), recv, recv_count);
    return status;
  }
  return Check(MPI_Reduce_scatter_block(send, recv, static_cast<int>(recv_count), call.type, mpi_op, call.comm),
               "MPI_Reduce_scatter_block");
}

KMPI_API kmpi_status kmpi_allgather(void* comm, const void* send, void* recv, size_t send_count, kmpi_dtype dtype) {
  const char* what = "kmpi_allgather";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, &call);
  if (status != KMPI_OK) return status;
  if ((status = CheckBuffers(what, send_count, send, recv)) != KMPI_OK) return status;
  if (!kmpi::FitsMpiCount(send_count * static_cast<size_t>(call.size), what)) return KMPI_INVALID_ARGUMENT;
  const int count = static_cast<int>(send_count);
  return Check(MPI_Allgather(send, count, call.type, recv, count, call.type, call.comm), "MPI_Allgather");
}

KMPI_API kmpi_status kmpi_bcast(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t root) {
  const char* what = "kmpi_bcast";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, &call);
  if (status != KMPI_OK) return status;
  if ((status = CheckBuffers(what, count, buffer, buffer)) != KMPI_OK) return status;
  if (root < 0 || root >= call.size) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_bcast: root is not a rank");
  if (!kmpi::FitsMpiCount(count, what)) return KMPI_INVALID_ARGUMENT;
  return Check(MPI_Bcast(buffer, static_cast<int>(count), call.type, root, call.comm), "MPI_Bcast");
}

KMPI_API kmpi_status kmpi_send(void* comm, const void* buffer, size_t count, kmpi_dtype dtype, int32_t dest, int32_t tag) {
  const char* what = "kmpi_send";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, &call);
  if (status != KMPI_OK) return status;
  if ((status = CheckBuffers(what, count, buffer, buffer)) != KMPI_OK) return status;
  if (dest < 0 || dest >= call.size || tag < 0) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_send: dest is not a rank, or negative tag");
  if (!kmpi::FitsMpiCount(count, what)) return KMPI_INVALID_ARGUMENT;
  return Check(MPI_Send(buffer, static_cast<int>(count), call.type, dest, tag, call.comm), "MPI_Send");
}

KMPI_API kmpi_status kmpi_recv(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t source, int32_t tag) {
  const char* what = "kmpi_recv";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, &call);
  if (status != KMPI_OK) return status;
  if ((status = CheckBuffers(what, count, buffer, buffer)) != KMPI_OK) return status;
  if (source < 0 || source >= call.size || tag < 0) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_recv: source is not a rank, or negative tag");
  if (!kmpi::FitsMpiCount(count, what)) return KMPI_INVALID_ARGUMENT;
  MPI_Status received;
  status = Check(MPI_Recv(buffer, static_cast<int>(count), call.type, source, tag, call.comm, &received), "MPI_Recv");
  if (status != KMPI_OK) return status;
  int got = 0;
  MPI_Get_count(&received, call.type, &got);
  if (got != static_cast<int>(count)) {
    return Fail(KMPI_MPI_ERROR, "kmpi_recv: expected " + std::to_string(count) + " elements, received " + std::to_string(got));
  }
  return KMPI_OK;
}

KMPI_API kmpi_status kmpi_barrier(void* comm) {
  const kmpi::Communicator* resolved = kmpi::Resolve(comm);
  if (resolved == nullptr) return KMPI_INVALID_ARGUMENT;
  return Check(MPI_Barrier(resolved->comm), "MPI_Barrier");
}

}  // extern "C"
