#pragma once
/// \file
/// The four float8 formats of PyTorch 2.x (internal): float8 bits ↔ float, exactly as c10's
/// Float8_e4m3fn, Float8_e5m2, Float8_e4m3fnuz and Float8_e5m2fnuz convert (round to nearest even;
/// e4m3fn and both fnuz have no infinity: what overflows is NaN; e5m2 overflows to infinity; the fnuz
/// formats have one NaN, 0x80, and no negative zero).

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace graft::detail::host {

/// One float8 format: its field widths, bias and special values.
struct float8_format {
  int mantissa_bits;       ///< 3 (e4m3) or 2 (e5m2)
  int bias;                ///< 7, 15 (fn, e5m2) or 8, 16 (fnuz)
  std::uint32_t overflow;  ///< float32 bits of the smallest magnitude that is no longer finite
  bool fnuz;               ///< one NaN (0x80), no negative zero, no infinity
  bool has_inf;            ///< e5m2: exponent all ones is infinity (mantissa 0) or NaN
};

inline constexpr float8_format e4m3fn{3, 7, 1087u << 20, false, false};    // overflow: 480.0f
inline constexpr float8_format e5m2{2, 15, 143u << 23, false, true};       // overflow: 65536.0f
inline constexpr float8_format e4m3fnuz{3, 8, 0x87u << 23, true, false};   // overflow: 256.0f
inline constexpr float8_format e5m2fnuz{2, 16, 0x8fu << 23, true, false};  // overflow: 65536.0f

inline std::uint32_t float_bits(float f) noexcept {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(std::uint32_t u) noexcept {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

/// float8 bits → float (exact; NaN for the NaN encodings).
inline float float8_to_float(std::uint8_t v, const float8_format& f) noexcept {
  const int m = f.mantissa_bits, e_bits = 7 - m;
  const int exp = (v >> m) & ((1 << e_bits) - 1), mant = v & ((1 << m) - 1);
  const bool negative = (v & 0x80u) != 0;
  if (f.fnuz && v == 0x80u) return std::numeric_limits<float>::quiet_NaN();
  const int max_exp = (1 << e_bits) - 1;
  if (!f.fnuz && exp == max_exp) {
    if (f.has_inf) {
      if (mant == 0) return negative ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
      return std::numeric_limits<float>::quiet_NaN();
    }
    if (mant == (1 << m) - 1) return std::numeric_limits<float>::quiet_NaN();  // e4m3fn: S.1111.111
  }
  const float mag = exp == 0 ? std::ldexp(static_cast<float>(mant), 1 - f.bias - m)
                             : std::ldexp(static_cast<float>(mant + (1 << m)), exp - f.bias - m);
  return negative ? -mag : mag;
}

/// float → float8 bits, as c10 rounds: to nearest even, subnormals through one float addition.
inline std::uint8_t float_to_float8(float value, const float8_format& f) noexcept {
  const int m = f.mantissa_bits, drop = 23 - m;
  std::uint32_t bits = float_bits(value);
  const std::uint32_t sign = bits & 0x80000000u;
  bits ^= sign;
  std::uint8_t result = 0;
  if (bits >= f.overflow) {
    if (f.fnuz) return 0x80u;  // NaN, also for inf and overflow
    if (f.has_inf)
      result = bits > 0x7f800000u ? 0x7fu : 0x7cu;  // e5m2: NaN, or inf
    else
      result = 0x7fu;                                                      // e4m3fn: NaN
  } else if (bits < static_cast<std::uint32_t>(127 + 1 - f.bias) << 23) {  // below the smallest normal
    const std::uint32_t denorm_mask = static_cast<std::uint32_t>((127 - f.bias) + drop + 1) << 23;
    bits = float_bits(bits_float(bits) + bits_float(denorm_mask));
    result = static_cast<std::uint8_t>(bits - denorm_mask);
    if (f.fnuz && result == 0) return 0;  // no negative zero
  } else {
    const std::uint32_t odd = (bits >> drop) & 1u;
    bits += (static_cast<std::uint32_t>(f.bias - 127) << 23) + ((1u << (drop - 1)) - 1u) + odd;
    result = static_cast<std::uint8_t>(bits >> drop);
    if (f.fnuz && result == 0x80u) return 0x80u;  // rounded up past the largest finite value: NaN
  }
  return static_cast<std::uint8_t>(result | (sign >> 24));
}

}  // namespace graft::detail::host
