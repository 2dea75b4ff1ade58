#include "half_conversion.h"

#include <cmath>
#include <cstring>

namespace kmpi {
namespace {

uint32_t Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float FromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1F) return FromBits(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return FromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  const float subnormal = std::ldexp(static_cast<float>(mantissa), -24);  // exact: mantissa x 2^-24
  return sign != 0 ? -subnormal : subnormal;
}

// Round to nearest even (F. Giesen's float_to_half_fast3_rtne): subnormal results by adding 0.5f, whose
// ulp is the f16 subnormal step 2^-24; normal ones by rebiasing and adding half an ulp (+1 when odd).
uint16_t F32ToF16(float value) {
  uint32_t bits = Bits(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  bits &= 0x7FFFFFFFu;
  if (bits >= (127u + 16) << 23) {  // |x| >= 65536 (or Inf/NaN): Inf, or a quiet NaN
    return static_cast<uint16_t>(sign | (bits > 0x7F800000u ? 0x7E00u : 0x7C00u));
  }
  if (bits < 113u << 23) {  // below 2^-14: the result is subnormal or zero
    const uint32_t magic = 126u << 23;
    return static_cast<uint16_t>(sign | (Bits(FromBits(bits) + FromBits(magic)) - magic));
  }
  const uint32_t odd = (bits >> 13) & 1u;
  bits += (static_cast<uint32_t>(15 - 127) << 23) + 0xFFFu + odd;  // a carry into exponent 31 gives Inf
  return static_cast<uint16_t>(sign | (bits >> 13));
}

float Bf16ToF32(uint16_t b) { return FromBits(static_cast<uint32_t>(b) << 16); }

uint16_t F32ToBf16(float value) {
  const uint32_t bits = Bits(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace

void WidenToF32(kmpi_dtype dtype, const void* source, float* destination, size_t count) {
  const auto* halves = static_cast<const uint16_t*>(source);
  for (size_t i = 0; i < count; i++) {
    destination[i] = dtype == KMPI_F16 ? F16ToF32(halves[i]) : Bf16ToF32(halves[i]);
  }
}

void NarrowFromF32(kmpi_dtype dtype, const float* source, void* destination, size_t count) {
  auto* halves = static_cast<uint16_t*>(destination);
  for (size_t i = 0; i < count; i++) {
    halves[i] = dtype == KMPI_F16 ? F32ToF16(source[i]) : F32ToBf16(source[i]);
  }
}

}  // namespace kmpi
