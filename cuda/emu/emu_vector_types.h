// CUDA's built-in vector types for host compilation: same members, sizes and alignments as
// vector_types.h, so 128-bit loads through uint4/float4 keep their alignment rules under the emulator.
#ifndef CUDA_EMU_VECTOR_TYPES_H_
#define CUDA_EMU_VECTOR_TYPES_H_

struct uint3 { unsigned int x, y, z; };

// dim3 defaults missing extents to 1, as CUDA's does; it converts to and from uint3.
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

#define CUDA_EMU_VECTOR2(name, type, align) \
  struct alignas(align) name { type x, y; }; \
  inline name make_##name(type x, type y) { return name{x, y}; }
#define CUDA_EMU_VECTOR4(name, type, align) \
  struct alignas(align) name { type x, y, z, w; }; \
  inline name make_##name(type x, type y, type z, type w) { return name{x, y, z, w}; }

CUDA_EMU_VECTOR2(float2, float, 8)
CUDA_EMU_VECTOR4(float4, float, 16)
CUDA_EMU_VECTOR2(int2, int, 8)
CUDA_EMU_VECTOR4(int4, int, 16)
CUDA_EMU_VECTOR2(uint2, unsigned int, 8)
CUDA_EMU_VECTOR4(uint4, unsigned int, 16)
CUDA_EMU_VECTOR2(ushort2, unsigned short, 4)
CUDA_EMU_VECTOR4(ushort4, unsigned short, 8)
CUDA_EMU_VECTOR2(double2, double, 16)

#undef CUDA_EMU_VECTOR2
#undef CUDA_EMU_VECTOR4

inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }

static_assert(sizeof(float4) == 16 && alignof(float4) == 16, "float4 must match CUDA's layout");
static_assert(sizeof(uint4) == 16 && alignof(uint4) == 16, "uint4 must match CUDA's layout");
static_assert(sizeof(ushort4) == 8 && alignof(ushort4) == 8, "ushort4 must match CUDA's layout");

#endif  // CUDA_EMU_VECTOR_TYPES_H_
