// Library and process level: version, MPI initialisation and finalisation, the clock, abort.
#include <string>

#include "shim.h"

using kmpi::Check;
using kmpi::Fail;

namespace {

bool IsInitialized() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}

bool ToMpiLevel(kmpi_thread_level level, int* mpi_level) {
  switch (level) {
    case KMPI_THREAD_SINGLE: *mpi_level = MPI_THREAD_SINGLE; return true;
    case KMPI_THREAD_FUNNELED: *mpi_level = MPI_THREAD_FUNNELED; return true;
    case KMPI_THREAD_SERIALIZED: *mpi_level = MPI_THREAD_SERIALIZED; return true;
    case KMPI_THREAD_MULTIPLE: *mpi_level = MPI_THREAD_MULTIPLE; return true;
  }
  return false;
}

// MPI only promises the levels' order, not their values: compare, never cast.
kmpi_thread_level FromMpiLevel(int mpi_level) {
  if (mpi_level >= MPI_THREAD_MULTIPLE) return KMPI_THREAD_MULTIPLE;
  if (mpi_level >= MPI_THREAD_SERIALIZED) return KMPI_THREAD_SERIALIZED;
  if (mpi_level >= MPI_THREAD_FUNNELED) return KMPI_THREAD_FUNNELED;
  return KMPI_THREAD_SINGLE;
}

}  // namespace

extern "C" {

KMPI_API int32_t kmpi_version(void) {
  return KMPI_VERSION_MAJOR * 10000 + KMPI_VERSION_MINOR * 100 + KMPI_VERSION_PATCH;
}

KMPI_API const char* kmpi_library_version(void) {
  static const std::string first_line = [] {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return std::string("unknown MPI");
    std::string all(text, static_cast<size_t>(length));
    return all.substr(0, all.find_first_of("\r\n"));
  }();
  return first_line.c_str();
}

KMPI_API kmpi_status kmpi_init(kmpi_thread_level required, kmpi_thread_level* provided) {
  int mpi_required = 0;
  if (provided == nullptr || !ToMpiLevel(required, &mpi_required)) {
    return Fail(KMPI_INVALID_ARGUMENT, "kmpi_init: null 'provided' or unknown thread level");
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized != 0) return Fail(KMPI_UNSUPPORTED, "kmpi_init: MPI was finalised in this process; it cannot start again");
  int mpi_provided = 0;
  if (IsInitialized()) {
    kmpi_status status = Check(MPI_Query_thread(&mpi_provided), "MPI_Query_thread");
    if (status != KMPI_OK) return status;
  } else {
    kmpi_status status = Check(MPI_Init_thread(nullptr, nullptr, mpi_required, &mpi_provided), "MPI_Init_thread");
    if (status != KMPI_OK) return status;
  }
  *provided = FromMpiLevel(mpi_provided);
  return KMPI_OK;
}

KMPI_API int32_t kmpi_is_initialized(void) { return IsInitialized() ? 1 : 0; }

KMPI_API kmpi_status kmpi_finalize(void) {
  if (!IsInitialized()) return KMPI_OK;
  return Check(MPI_Finalize(), "MPI_Finalize");
}

KMPI_API double kmpi_wtime(void) { return MPI_Wtime(); }

KMPI_API kmpi_status kmpi_abort(void* comm, int32_t error_code) {
  const kmpi::Communicator* resolved = comm == nullptr ? nullptr : kmpi::Resolve(comm);
  return Check(MPI_Abort(resolved != nullptr ? resolved->comm : MPI_COMM_WORLD, error_code), "MPI_Abort");
}

}  // extern "C"
