// kne_convert: cuda/convert.cu under the emulator.
#include "convert.cu"

#include "kne_error.h"

namespace {

template <class Src>
kne_status LaunchConvert(kne_dtype dst_type, const kn::ConvertArgs& args, dim3 grid, dim3 block) {
  switch (dst_type) {
    case KNE_F32: return kne::FromLaunch(emu_launch((kn::convert_elements<Src, kn::F32Storage>), grid, block, 0, args));
    case KNE_F16: return kne::FromLaunch(emu_launch((kn::convert_elements<Src, kn::F16Storage>), grid, block, 0, args));
    case KNE_BF16: return kne::FromLaunch(emu_launch((kn::convert_elements<Src, kn::BF16Storage>), grid, block, 0, args));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_convert: dst_type = %d is not a kne_dtype", static_cast<int>(dst_type));
}

}  // namespace

extern "C" KNE_API kne_status kne_convert(kne_dtype src_type, const void* src, kne_dtype dst_type, void* dst,
                                          uint64_t count, float scale, uint32_t grid_x, uint32_t block_x) {
  if (count != 0 && (src == nullptr || dst == nullptr))
    return kne::Fail(KNE_INVALID_ARGUMENT, "kne_convert: null buffer with count = %llu",
                     static_cast<unsigned long long>(count));
  const kn::ConvertArgs args{src, dst, count, scale};
  switch (src_type) {
    case KNE_F32: return LaunchConvert<kn::F32Storage>(dst_type, args, grid_x, block_x);
    case KNE_F16: return LaunchConvert<kn::F16Storage>(dst_type, args, grid_x, block_x);
    case KNE_BF16: return LaunchConvert<kn::BF16Storage>(dst_type, args, grid_x, block_x);
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_convert: src_type = %d is not a kne_dtype", static_cast<int>(src_type));
}

extern "C" KNE_API uint64_t kne_convert_args_bytes(void) { return sizeof(kn::ConvertArgs); }
