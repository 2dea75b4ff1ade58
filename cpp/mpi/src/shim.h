// Internal declarations shared by the shim's sources: the communicator handle behind the ABI's void*,
// failure recording, and the mapping of our enums onto the system MPI's handles.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

#include "kernels_mpi.h"

namespace kmpi {

// What a void* communicator handle points to. `owned` is false for MPI_COMM_WORLD, which is never freed.
struct Communicator {
  MPI_Comm comm;
  bool owned;
};

// Records `message` as the calling thread's last error and returns `status`.
kmpi_status Fail(kmpi_status status, const std::string& message);
// KMPI_OK for MPI_SUCCESS; otherwise records MPI's error string, prefixed with `what`.
kmpi_status Check(int mpi_result, const char* what);

// The handle's communicator, or null (with the error recorded) for a null handle.
const Communicator* Resolve(void* handle);
// Wraps `comm` in a new handle with MPI_ERRORS_RETURN set, so failures come back as codes.
kmpi_status Wrap(MPI_Comm comm, bool owned, void** handle);

// True (and `*type` set) for a known element type.
bool ElementType(kmpi_dtype dtype, MPI_Datatype* type);
bool ReduceOp(kmpi_op op, MPI_Op* mpi_op);
// f16 and bf16: MPI has no such type, so reductions widen them to f32 (see kernels_mpi.h).
bool ReducesThroughF32(kmpi_dtype dtype);
// `count` elements as an MPI int count, or false with the error recorded.
bool FitsMpiCount(size_t count, const char* what);

}  // namespace kmpi
