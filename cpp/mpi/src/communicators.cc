// Communicator handles: a heap object per handle, so the ABI carries a void* whatever MPI_Comm is
// (a pointer in Open MPI, an int in MPICH).
#include <new>
#include <string>

#include "shim.h"

namespace kmpi {

const Communicator* Resolve(void* handle) {
  if (handle == nullptr) {
    Fail(KMPI_INVALID_ARGUMENT, "null communicator handle");
    return nullptr;
  }
  return static_cast<const Communicator*>(handle);
}

kmpi_status Wrap(MPI_Comm comm, bool owned, void** handle) {
  kmpi_status status = Check(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  if (status == KMPI_OK) {
    auto* wrapped = new (std::nothrow) Communicator{comm, owned};
    if (wrapped != nullptr) {
      *handle = wrapped;
      return KMPI_OK;
    }
    status = Fail(KMPI_MPI_ERROR, "out of memory for a communicator handle");
  }
  if (owned) MPI_Comm_free(&comm);
  return status;
}

}  // namespace kmpi

using kmpi::Check;
using kmpi::Fail;

namespace {

kmpi_status Derive(void* comm, void** result, const char* what, int (*make)(MPI_Comm, MPI_Comm*)) {
  const kmpi::Communicator* parent = kmpi::Resolve(comm);
  if (parent == nullptr) return KMPI_INVALID_ARGUMENT;
  if (result == nullptr) return Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": null result pointer");
  MPI_Comm made = MPI_COMM_NULL;
  kmpi_status status = Check(make(parent->comm, &made), what);
  if (status != KMPI_OK) return status;
  return kmpi::Wrap(made, true, result);
}

}  // namespace

extern "C" {

KMPI_API kmpi_status kmpi_comm_world(void** comm) {
  if (comm == nullptr) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_comm_world: null result pointer");
  return kmpi::Wrap(MPI_COMM_WORLD, false, comm);
}

KMPI_API kmpi_status kmpi_comm_dup(void* comm, void** duplicate) {
  return Derive(comm, duplicate, "MPI_Comm_dup", [](MPI_Comm parent, MPI_Comm* made) { return MPI_Comm_dup(parent, made); });
}

KMPI_API kmpi_status kmpi_comm_split(void* comm, int32_t color, int32_t key, void** part) {
  const kmpi::Communicator* parent = kmpi::Resolve(comm);
  if (parent == nullptr) return KMPI_INVALID_ARGUMENT;
  if (part == nullptr || color < 0) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_comm_split: null result pointer or negative color");
  MPI_Comm made = MPI_COMM_NULL;
  kmpi_status status = Check(MPI_Comm_split(parent->comm, color, key, &made), "MPI_Comm_split");
  if (status != KMPI_OK) return status;
  return kmpi::Wrap(made, true, part);
}

KMPI_API kmpi_status kmpi_comm_split_host(void* comm, void** host) {
  return Derive(comm, host, "MPI_Comm_split_type", [](MPI_Comm parent, MPI_Comm* made) {
    return MPI_Comm_split_type(parent, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, made);
  });
}

KMPI_API kmpi_status kmpi_comm_free(void** comm) {
  if (comm == nullptr || *comm == nullptr) return KMPI_OK;
  auto* wrapped = static_cast<kmpi::Communicator*>(*comm);
  *comm = nullptr;
  kmpi_status status = wrapped->owned ? Check(MPI_Comm_free(&wrapped->comm), "MPI_Comm_free") : KMPI_OK;
  delete wrapped;
  return status;
}

KMPI_API kmpi_status kmpi_comm_rank(void* comm, int32_t* rank) {
  const kmpi::Communicator* resolved = kmpi::Resolve(comm);
  if (resolved == nullptr) return KMPI_INVALID_ARGUMENT;
  if (rank == nullptr) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_comm_rank: null result pointer");
  int value = 0;
  kmpi_status status = Check(MPI_Comm_rank(resolved->comm, &value), "MPI_Comm_rank");
  *rank = value;
  return status;
}

KMPI_API kmpi_status kmpi_comm_size(void* comm, int32_t* size) {
  const kmpi::Communicator* resolved = kmpi::Resolve(comm);
  if (resolved == nullptr) return KMPI_INVALID_ARGUMENT;
  if (size == nullptr) return Fail(KMPI_INVALID_ARGUMENT, "kmpi_comm_size: null result pointer");
  int value = 0;
  kmpi_status status = Check(MPI_Comm_size(resolved->comm, &value), "MPI_Comm_size");
  *size = value;
  return status;
}

}  // extern "C"
