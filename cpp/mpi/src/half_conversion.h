// f16 / bf16 <-> f32 for the reductions that go through f32. Scalar and portable: the shim is built
// with the system MPI's flags, not libkernels' SIMD dispatch, and the conversions cost far less than
// the MPI traffic around them. Rounding is to nearest even, NaN stays NaN (quiet), as in libkernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels_mpi.h"

namespace kmpi {

// Widens `count` 16-bit elements of `dtype` (KMPI_F16 or KMPI_BF16) to f32.
void WidenToF32(kmpi_dtype dtype, const void* source, float* destination, size_t count);
// Rounds `count` f32 values to `dtype` (KMPI_F16 or KMPI_BF16).
void NarrowFromF32(kmpi_dtype dtype, const float* source, void* destination, size_t count);

}  // namespace kmpi
