// Non-blocking collectives and point-to-point. The caller polls kmpi_test against its own deadline, so a
// dead or stuck peer can never block a thread inside MPI. A request handle owns what MPI reads until the
// operation completes (the int count and displacement arrays of the V collectives).
#include <climits>
#include <new>
#include <string>
#include <vector>

#include "shim.h"

using kmpi::Check;
using kmpi::Fail;

namespace {

struct Request {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Datatype type = MPI_DATATYPE_NULL;
  // For receives: the exact element count the caller expects; -1 for everything else.
  long long expected = -1;
  std::vector<int> counts;
  std::vector<int> displacements;
};

struct Call {
  MPI_Comm comm = MPI_COMM_NULL;
  int size = 0;
  MPI_Datatype type = MPI_DATATYPE_NULL;
};

kmpi_status Prepare(const char* what, void* comm, kmpi_dtype dtype, size_t count, const void* buffer, void** request, Call* call) {
  const kmpi::Communicator* resolved = kmpi::Resolve(comm);
  if (resolved == nullptr) return KMPI_INVALID_ARGUMENT;
  if (request == nullptr) return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": null request pointer");
  if (!kmpi::ElementType(dtype, &call->type)) return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": unknown element type");
  if (count > 0 && buffer == nullptr) return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": null buffer");
  if (!kmpi::FitsMpiCount(count, what)) return KMPI_INVALID_ARGUMENT;
  call->comm = resolved->comm;
  return Check(MPI_Comm_size(call->comm, &call->size), "MPI_Comm_size");
}

// Starts `start` on a new Request; hands it out only if MPI accepted the operation.
template <typename Start>
kmpi_status Launch(Request* made, void** request, const char* what, Start start) {
  if (made == nullptr) return Fail(KMPI_MPI_ERROR, std::string(what) + ": out of memory for a request");
  kmpi_status status = Check(start(&made->request), what);
  if (status != KMPI_OK) {
    delete made;
    return status;
  }
  *request = made;
  return KMPI_OK;
}

}  // namespace

extern "C" {

KMPI_API kmpi_status kmpi_iallgather(void* comm, const void* send, void* recv, size_t send_count, kmpi_dtype dtype, void** request) {
  const char* what = "MPI_Iallgather";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, send_count, send, request, &call);
  if (status != KMPI_OK) return status;
  if (send_count > 0 && recv == nullptr) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_iallgather: null buffer");
  if (!kmpi::FitsMpiCount(send_count * static_cast<size_t>(call.size), what)) return KMPI_INVALID_ARGUMENT;
  const int count = static_cast<int>(send_count);
  return Launch(new (std::nothrow) Request{}, request, what, [&](MPI_Request* r) {
    return MPI_Iallgather(send, count, call.type, recv, count, call.type, call.comm, r);
  });
}

KMPI_API kmpi_status kmpi_iallgatherv(void* comm, const void* send, size_t send_count, void* recv, const int64_t* recv_counts,
                                      kmpi_dtype dtype, void** request) {
  const char* what = "MPI_Iallgatherv";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, send_count, send, request, &call);
  if (status != KMPI_OK) return status;
  if (recv_counts == nullptr) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_iallgatherv: null counts");
  Request* made = new (std::nothrow) Request{};
  if (made == nullptr) return Fail(KMPI_MPI_ERROR, "kmpi_iallgatherv: out of memory for a request");
  long long total = 0;
  try {
    made->counts.resize(call.size);
    made->displacements.resize(call.size);
  } catch (const std::bad_alloc&) {
    delete made;
    return Fail(KMPI_MPI_ERROR, "kmpi_iallgatherv: out of memory for the counts");
  }
  for (int rank = 0; rank < call.size; rank++) {
    if (recv_counts[rank] < 0 || total + recv_counts[rank] > INT_MAX) {
      delete made;
      return Fail(KMPI_INVALID_ARGUMENT, "kmpi_iallgatherv: a count is negative or the total exceeds MPI's int count");
    }
    made->counts[rank] = static_cast<int>(recv_counts[rank]);
    made->displacements[rank] = static_cast<int>(total);
    total += recv_counts[rank];
  }
  if (total > 0 && recv == nullptr) {
    delete made;
    return Fail(KMPI_INVALID_ARGUMENT, "kmpi_iallgatherv: null buffer");
  }
  return Launch(made, request, what, [&](MPI_Request* r) {
    return MPI_Iallgatherv(send, static_cast<int>(send_count), call.type, recv, made->counts.data(), made->displacements.data(),
                           call.type, call.comm, r);
  });
}

KMPI_API kmpi_status kmpi_ibcast(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t root, void** request) {
  const char* what = "MPI_Ibcast";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, count, buffer, request, &call);
  if (status != KMPI_OK) return status;
  if (root < 0 || root >= call.size) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_ibcast: root is not a rank");
  return Launch(new (std::nothrow) Request{}, request, what, [&](MPI_Request* r) {
    return MPI_Ibcast(buffer, static_cast<int>(count), call.type, root, call.comm, r);
  });
}

KMPI_API kmpi_status kmpi_isend(void* comm, const void* buffer, size_t count, kmpi_dtype dtype, int32_t dest, int32_t tag,
                                void** request) {
  const char* what = "MPI_Isend";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, count, buffer, request, &call);
  if (status != KMPI_OK) return status;
  if (dest < 0 || dest >= call.size || tag < 0) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_isend: dest is not a rank, or negative tag");
  return Launch(new (std::nothrow) Request{}, request, what, [&](MPI_Request* r) {
    return MPI_Isend(buffer, static_cast<int>(count), call.type, dest, tag, call.comm, r);
  });
}

KMPI_API kmpi_status kmpi_irecv(void* comm, void* buffer, size_t count, kmpi_dtype dtype, int32_t source, int32_t tag,
                                void** request) {
  const char* what = "MPI_Irecv";
  Call call;
  kmpi_status status = Prepare(what, comm, dtype, count, buffer, request, &call);
  if (status != KMPI_OK) return status;
  if (source < 0 || source >= call.size || tag < 0) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_irecv: source is not a rank, or negative tag");
  Request* made = new (std::nothrow) Request{};
  if (made != nullptr) {
    made->type = call.type;
    made->expected = static_cast<long long>(count);
  }
  return Launch(made, request, what, [&](MPI_Request* r) {
    return MPI_Irecv(buffer, static_cast<int>(count), call.type, source, tag, call.comm, r);
  });
}

KMPI_API kmpi_status kmpi_test(void** request, int32_t* done) {
  if (request == nullptr || *request == nullptr || done == nullptr) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_test: null request or result");
  auto* pending = static_cast<Request*>(*request);
  int flag = 0;
  MPI_Status received;
  kmpi_status status = Check(MPI_Test(&pending->request, &flag, &received), "MPI_Test");
  *done = flag != 0 ? 1 : 0;
  if (status != KMPI_OK || flag == 0) return status;
  if (pending->expected >= 0) {
    int got = 0;
    MPI_Get_count(&received, pending->type, &got);
    if (got != pending->expected) {
      status = Fail(KMPI_MPI_ERROR, "kmpi_test: expected " + std::to_string(pending->expected) + " elements, received " + std::to_string(got));
    }
  }
  delete pending;
  *request = nullptr;
  return status;
}

}  // extern "C"
