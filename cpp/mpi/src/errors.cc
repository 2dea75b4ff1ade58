// Failure recording: a per-thread message behind kmpi_last_error(), as libkernels does with kn_last_error().
#include <string>

#include "shim.h"

namespace kmpi {
namespace {
thread_local std::string last_error;
}  // namespace

kmpi_status Fail(kmpi_status status, const std::string& message) {
  last_error = message;
  return status;
}

kmpi_status Check(int mpi_result, const char* what) {
  if (mpi_result == MPI_SUCCESS) return KMPI_OK;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(mpi_result, text, &length) != MPI_SUCCESS) {
    return Fail(KMPI_MPI_ERROR, std::string(what) + ": MPI error " + std::to_string(mpi_result));
  }
  return Fail(KMPI_MPI_ERROR, std::string(what) + ": " + std::string(text, static_cast<size_t>(length)));
}

}  // namespace kmpi

extern "C" KMPI_API const char* kmpi_last_error(void) { return kmpi::last_error.c_str(); }
