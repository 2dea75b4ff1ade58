// Our element types and ops onto the system MPI's predefined handles. These are macros over
// implementation symbols (Open MPI: addresses of globals; MPICH: integer constants), which is why
// they are only ever named inside the shim.
#include <climits>
#include <string>

#include "shim.h"

namespace kmpi {

bool ElementType(kmpi_dtype dtype, MPI_Datatype* type) {
  switch (dtype) {
    case KMPI_F32: *type = MPI_FLOAT; return true;
    case KMPI_F16:
    case KMPI_BF16: *type = MPI_UINT16_T; return true;  // moved as 16-bit words
    case KMPI_F64: *type = MPI_DOUBLE; return true;
    case KMPI_I32: *type = MPI_INT32_T; return true;
    case KMPI_BYTE: *type = MPI_BYTE; return true;
  }
  return false;
}

bool ReduceOp(kmpi_op op, MPI_Op* mpi_op) {
  switch (op) {
    case KMPI_OP_SUM: *mpi_op = MPI_SUM; return true;
    case KMPI_OP_MAX: *mpi_op = MPI_MAX; return true;
    case KMPI_OP_MIN: *mpi_op = MPI_MIN; return true;
  }
  return false;
}

bool ReducesThroughF32(kmpi_dtype dtype) { return dtype == KMPI_F16 || dtype == KMPI_BF16; }

bool FitsMpiCount(size_t count, const char* what) {
  if (count <= static_cast<size_t>(INT_MAX)) return true;
  Fail(KMPI_INVALID_ARGUMENT, std::string(what) + ": " + std::to_string(count) + " elements exceed MPI's int count");
  return false;
}

}  // namespace kmpi
