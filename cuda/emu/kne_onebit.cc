// kne_onebit_compress / kne_onebit_decompress: cuda/onebit.cu under the emulator.
#include "onebit.cu"

#include "kne_error.h"

namespace {

template <class S, int kKind, bool kResidual>
kne_status CompressAs(const kn::OneBitArgs& args, dim3 grid, dim3 block) {
  const kne_status scales = kne::FromLaunch(emu_launch((kn::onebit_chunk_scales<S, kKind, kResidual>), grid, block, 0, args));
  if (scales != KNE_OK) return scales;
  return kne::FromLaunch(emu_launch((kn::onebit_signs<S, kResidual>), grid, block, 0, args));
}

template <class S>
kne_status CompressStorage(kne_scale_kind kind, bool residual, const kn::OneBitArgs& args, dim3 grid, dim3 block) {
  switch (kind) {
    case KNE_SCALE_MEAN_ABS:
      return residual ? CompressAs<S, kn::kScaleMeanAbs, true>(args, grid, block) : CompressAs<S, kn::kScaleMeanAbs, false>(args, grid, block);
    case KNE_SCALE_RMS:
      return residual ? CompressAs<S, kn::kScaleRms, true>(args, grid, block) : CompressAs<S, kn::kScaleRms, false>(args, grid, block);
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_compress: kind = %d is not a kne_scale_kind", static_cast<int>(kind));
}

}  // namespace

extern "C" {

KNE_API kne_status kne_onebit_compress(kne_dtype dtype, const void* g, const float* e, uint64_t n, uint64_t chunk,
                                       kne_scale_kind kind, uint32_t* signs, float* scales, float* e_new,
                                       uint32_t grid_x, uint32_t block_x) {
  if (chunk == 0) return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_compress: chunk is 0");
  if ((e == nullptr) != (e_new == nullptr))
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_compress: give both e and e_new (EF14) or neither");
  if (n != 0 && (g == nullptr || signs == nullptr || scales == nullptr))
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_compress: null buffer with n = %llu", static_cast<unsigned long long>(n));
  const kn::OneBitArgs args{g, e, signs, scales, e_new, n, chunk};
  const bool residual = e != nullptr;
  switch (dtype) {
    case KNE_F32: return CompressStorage<kn::F32Storage>(kind, residual, args, grid_x, block_x);
    case KNE_F16: return CompressStorage<kn::F16Storage>(kind, residual, args, grid_x, block_x);
    case KNE_BF16: return CompressStorage<kn::BF16Storage>(kind, residual, args, grid_x, block_x);
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_compress: dtype = %d is not a kne_dtype", static_cast<int>(dtype));
}

KNE_API kne_status kne_onebit_decompress(const uint32_t* signs, const float* scales, uint64_t n, uint64_t chunk,
                                         kne_dtype dtype, void* dst, uint32_t grid_x, uint32_t block_x) {
  if (chunk == 0) return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_decompress: chunk is 0");
  if (n != 0 && (signs == nullptr || scales == nullptr || dst == nullptr))
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_decompress: null buffer with n = %llu", static_cast<unsigned long long>(n));
  const kn::OneBitDecompressArgs args{signs, scales, dst, n, chunk};
  const dim3 grid(grid_x), block(block_x);
  switch (dtype) {
    case KNE_F32: return kne::FromLaunch(emu_launch(kn::onebit_decompress<kn::F32Storage>, grid, block, 0, args));
    case KNE_F16: return kne::FromLaunch(emu_launch(kn::onebit_decompress<kn::F16Storage>, grid, block, 0, args));
    case KNE_BF16: return kne::FromLaunch(emu_launch(kn::onebit_decompress<kn::BF16Storage>, grid, block, 0, args));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_onebit_decompress: dtype = %d is not a kne_dtype", static_cast<int>(dtype));
}

KNE_API uint64_t kne_onebit_args_bytes(void) { return sizeof(kn::OneBitArgs); }
KNE_API uint64_t kne_onebit_decompress_args_bytes(void) { return sizeof(kn::OneBitDecompressArgs); }

}  // extern "C"
