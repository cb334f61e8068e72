#pragma once
/// \file
/// Element arithmetic on raw bytes for the host executor (internal): float16/bfloat16 conversions that
/// round as c10 does, element loads/stores/conversions between dtypes, and means.

#include <graft/tensor_meta.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace graft::detail::host {

/// The same bits as another type of the same size (std::bit_cast before C++20).
template <class To, class From>
To bit_cast(const From& from) noexcept {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

/// float16 bits -> float (exact).
inline float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exp = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  return bit_cast<float>(bits);
}

/// float -> float16 bits, rounding to nearest even (as c10::Half does).
inline std::uint16_t float_to_half(float f) noexcept {
  const auto x = bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u);  // nan / inf
  if (abs >= 0x477ff000u) return sign | 0x7c00u;                                  // rounds to inf
  if (abs < 0x38800000u) {                                                        // subnormal or zero
    if (abs < 0x33000000u) return sign;                                           // below half the smallest
    // value = mant * 2^(exp - 150); in units of the smallest subnormal (2^-24): mant >> (126 - exp).
    const std::uint32_t exp = abs >> 23, mant = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exp;  // 14..24
    std::uint32_t half = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1u))) ++half;
    return sign | static_cast<std::uint16_t>(half);
  }
  std::uint32_t h = ((abs >> 13) - (112u << 10));
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<std::uint16_t>(h);
}

/// bfloat16 bits -> float (exact).
inline float bfloat16_to_float(std::uint16_t b) noexcept {
  return bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

/// float -> bfloat16 bits, rounding to nearest even (as c10::BFloat16 does).
inline std::uint16_t float_to_bfloat16(float f) noexcept {
  auto x = bit_cast<std::uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0u;  // nan
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}

template <class T>
T load_as(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store_as(std::byte* p, T v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// One element as a double (exact for every dtype but int64 beyond 2^53).
inline double load_element(const std::byte* p, dtype t) noexcept {
  switch (t) {
    case dtype::float32: return load_as<float>(p);
    case dtype::float16: return half_to_float(load_as<std::uint16_t>(p));
    case dtype::bfloat16: return bfloat16_to_float(load_as<std::uint16_t>(p));
    case dtype::float64: return load_as<double>(p);
    case dtype::int8: return load_as<std::int8_t>(p);
    case dtype::int16: return load_as<std::int16_t>(p);
    case dtype::int32: return load_as<std::int32_t>(p);
    case dtype::int64: return static_cast<double>(load_as<std::int64_t>(p));
    case dtype::uint8: return load_as<std::uint8_t>(p);
    case dtype::bool_: return load_as<std::uint8_t>(p) != 0 ? 1.0 : 0.0;
  }
  return 0;
}

/// One element as a float32, rounded once from its own type (as PyTorch's casts to float32 do; going
/// through double would round int64 values beyond 2^53 twice).
inline float load_float(const std::byte* p, dtype t) noexcept {
  switch (t) {
    case dtype::int64: return static_cast<float>(load_as<std::int64_t>(p));
    case dtype::float64: return static_cast<float>(load_as<double>(p));
    default: return static_cast<float>(load_element(p, t));  // exact: every other dtype fits a double
  }
}

/// Stores a value as one element of dtype `t` (floats round to nearest even through float32, as PyTorch's
/// float -> half/bfloat16 conversions do; integers truncate).
inline void store_element(std::byte* p, dtype t, double v) noexcept {
  switch (t) {
    case dtype::float32: store_as(p, static_cast<float>(v)); return;
    case dtype::float16: store_as(p, float_to_half(static_cast<float>(v))); return;
    case dtype::bfloat16: store_as(p, float_to_bfloat16(static_cast<float>(v))); return;
    case dtype::float64: store_as(p, v); return;
    case dtype::int8: store_as(p, static_cast<std::int8_t>(v)); return;
    case dtype::int16: store_as(p, static_cast<std::int16_t>(v)); return;
    case dtype::int32: store_as(p, static_cast<std::int32_t>(v)); return;
    case dtype::int64: store_as(p, static_cast<std::int64_t>(v)); return;
    case dtype::uint8: store_as(p, static_cast<std::uint8_t>(v)); return;
    case dtype::bool_: store_as(p, static_cast<std::uint8_t>(v != 0)); return;
  }
}

/// Converts `n` contiguous elements (integers to integers exactly, through int64).
inline void convert_elements(const std::byte* in, dtype from, std::byte* out, dtype to, std::size_t n) {
  const std::size_t si = dtype_size(from), so = dtype_size(to);
  if (from == to) {
    std::memcpy(out, in, n * si);
    return;
  }
  const bool ints = !dtype_is_floating(from) && !dtype_is_floating(to) && to != dtype::bool_;
  for (std::size_t i = 0; i < n; ++i, in += si, out += so) {
    if (ints && from != dtype::bool_) {
      std::int64_t v = 0;
      switch (from) {
        case dtype::int8: v = load_as<std::int8_t>(in); break;  // NOLINT(bugprone-signed-char-misuse): int8 is signed
        case dtype::int16: v = load_as<std::int16_t>(in); break;
        case dtype::int32: v = load_as<std::int32_t>(in); break;
        case dtype::int64: v = load_as<std::int64_t>(in); break;
        case dtype::uint8: v = load_as<std::uint8_t>(in); break;
        default: break;
      }
      switch (to) {
        case dtype::int8: store_as(out, static_cast<std::int8_t>(v)); break;
        case dtype::int16: store_as(out, static_cast<std::int16_t>(v)); break;
        case dtype::int32: store_as(out, static_cast<std::int32_t>(v)); break;
        case dtype::int64: store_as(out, v); break;
        case dtype::uint8: store_as(out, static_cast<std::uint8_t>(v)); break;
        default: break;
      }
    } else if (to == dtype::float64) {
      store_element(out, to, load_element(in, from));
    } else if (dtype_is_floating(to)) {
      store_element(out, to, load_float(in, from));  // float32/16/bf16: one rounding to float first
    } else {
      store_element(out, to, load_element(in, from));
    }
  }
}

/// The dtype means are computed in: float64 for float64, float32 otherwise.
inline dtype mean_type(dtype t) noexcept { return t == dtype::float64 ? dtype::float64 : dtype::float32; }

/// Writes the mean of `rows` elements (each `n` elements of `type`) as `to`, accumulating in mean_type.
inline void mean_elements(const std::vector<const std::byte*>& rows, dtype type, std::byte* out, dtype to,
                          std::size_t n) {
  const std::size_t es = dtype_size(type), eo = dtype_size(to);
  const bool wide = mean_type(type) == dtype::float64;
  for (std::size_t k = 0; k < n; ++k) {
    if (wide) {
      double sum = 0;
      for (const std::byte* r : rows) sum += load_element(r + k * es, type);
      store_element(out + k * eo, to, sum / static_cast<double>(rows.size()));
    } else {
      float sum = 0;
      for (const std::byte* r : rows) sum += load_float(r + k * es, type);
      store_element(out + k * eo, to, sum / static_cast<float>(rows.size()));
    }
  }
}

}  // namespace graft::detail::host
