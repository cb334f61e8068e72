#pragma once
/// \file
/// Element arithmetic on raw bytes for the host executor (internal): float16/bfloat16 conversions that
/// round as c10 does (float8: graft/apply/detail/float8.hpp), element loads/stores/conversions between
/// dtypes, and means. A complex element is a pair of its component dtype (complex_component); loaded as
/// a real number it is its real part, and a real number stored as one has imaginary part 0.

#include <graft/apply/detail/float8.hpp>
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

/// The dtype of each of a complex dtype's two parts (complex64 → float32); `t` itself for a real dtype.
constexpr dtype complex_component(dtype t) noexcept {
  switch (t) {
    case dtype::complex32: return dtype::float16;
    case dtype::complex64: return dtype::float32;
    case dtype::complex128: return dtype::float64;
    default: return t;
  }
}

/// The format of a float8 dtype (nullptr for other dtypes).
constexpr const float8_format* float8_of(dtype t) noexcept {
  switch (t) {
    case dtype::float8_e4m3fn: return &e4m3fn;
    case dtype::float8_e5m2: return &e5m2;
    case dtype::float8_e4m3fnuz: return &e4m3fnuz;
    case dtype::float8_e5m2fnuz: return &e5m2fnuz;
    default: return nullptr;
  }
}

/// One element as a double (exact for every dtype but int64 and uint64 beyond 2^53; complex: its real part).
inline double load_element(const std::byte* p, dtype t) noexcept {
  if (const float8_format* f = float8_of(t)) return float8_to_float(load_as<std::uint8_t>(p), *f);
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
    case dtype::uint16: return load_as<std::uint16_t>(p);
    case dtype::uint32: return load_as<std::uint32_t>(p);
    case dtype::uint64: return static_cast<double>(load_as<std::uint64_t>(p));
    case dtype::bool_: return load_as<std::uint8_t>(p) != 0 ? 1.0 : 0.0;
    case dtype::complex32:
    case dtype::complex64:
    case dtype::complex128: return load_element(p, complex_component(t));
    default: return 0;
  }
}

/// One element as a float32, rounded once from its own type (as PyTorch's casts to float32 do; going
/// through double would round int64 values beyond 2^53 twice).
inline float load_float(const std::byte* p, dtype t) noexcept {
  switch (t) {
    case dtype::int64: return static_cast<float>(load_as<std::int64_t>(p));
    case dtype::uint64: return static_cast<float>(load_as<std::uint64_t>(p));
    case dtype::float64:
    case dtype::complex128: return static_cast<float>(load_as<double>(p));
    default: return static_cast<float>(load_element(p, t));  // exact: every other dtype fits a double
  }
}

/// An unsigned integer from a double: truncated, and negative values wrapped through int64 (not undefined).
template <class U>
U to_unsigned(double v) noexcept {
  return v >= 0 ? static_cast<U>(v) : static_cast<U>(static_cast<std::int64_t>(v));
}

/// Stores a value as one element of dtype `t` (floats round to nearest even through float32, as PyTorch's
/// float -> half/bfloat16/float8 conversions do; integers truncate; complex: imaginary part 0).
inline void store_element(std::byte* p, dtype t, double v) noexcept {
  if (const float8_format* f = float8_of(t)) {
    store_as(p, float_to_float8(static_cast<float>(v), *f));
    return;
  }
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
    case dtype::uint16: store_as(p, to_unsigned<std::uint16_t>(v)); return;
    case dtype::uint32: store_as(p, to_unsigned<std::uint32_t>(v)); return;
    case dtype::uint64: store_as(p, to_unsigned<std::uint64_t>(v)); return;
    case dtype::bool_: store_as(p, static_cast<std::uint8_t>(v != 0)); return;
    case dtype::complex32:
    case dtype::complex64:
    case dtype::complex128: {
      const dtype c = complex_component(t);
      std::memset(p, 0, dtype_size(t));
      store_element(p, c, v);
      return;
    }
    default: return;
  }
}

/// An integer element as int64 (uint64 keeps its bits); 0 for other kinds.
inline std::int64_t load_integer(const std::byte* p, dtype t) noexcept {
  switch (t) {
    case dtype::int8: return load_as<std::int8_t>(p);  // NOLINT(bugprone-signed-char-misuse): int8 is signed
    case dtype::int16: return load_as<std::int16_t>(p);
    case dtype::int32: return load_as<std::int32_t>(p);
    case dtype::int64: return load_as<std::int64_t>(p);
    case dtype::uint8: return load_as<std::uint8_t>(p);
    case dtype::uint16: return load_as<std::uint16_t>(p);
    case dtype::uint32: return load_as<std::uint32_t>(p);
    case dtype::uint64: return static_cast<std::int64_t>(load_as<std::uint64_t>(p));
    default: return 0;
  }
}

/// Stores an int64 as an integer element (wrapping, as C++ integer conversions do).
inline void store_integer(std::byte* p, dtype t, std::int64_t v) noexcept {
  switch (t) {
    case dtype::int8: store_as(p, static_cast<std::int8_t>(v)); return;
    case dtype::int16: store_as(p, static_cast<std::int16_t>(v)); return;
    case dtype::int32: store_as(p, static_cast<std::int32_t>(v)); return;
    case dtype::int64: store_as(p, v); return;
    case dtype::uint8: store_as(p, static_cast<std::uint8_t>(v)); return;
    case dtype::uint16: store_as(p, static_cast<std::uint16_t>(v)); return;
    case dtype::uint32: store_as(p, static_cast<std::uint32_t>(v)); return;
    case dtype::uint64: store_as(p, static_cast<std::uint64_t>(v)); return;
    default: return;
  }
}

/// True for the integer kinds (not bool).
constexpr bool is_integer(dtype t) noexcept {
  return dtype_kind_of(t) == dtype_kind::signed_int || dtype_kind_of(t) == dtype_kind::unsigned_int;
}

/// Converts `n` contiguous elements (integers to integers exactly, through int64; complex to complex part by
/// part).
inline void convert_elements(const std::byte* in, dtype from, std::byte* out, dtype to, std::size_t n) {
  const std::size_t si = dtype_size(from), so = dtype_size(to);
  if (from == to) {
    std::memcpy(out, in, n * si);
    return;
  }
  if (dtype_is_complex(from) && dtype_is_complex(to)) {
    convert_elements(in, complex_component(from), out, complex_component(to), 2 * n);
    return;
  }
  const bool ints = is_integer(from) && is_integer(to);
  for (std::size_t i = 0; i < n; ++i, in += si, out += so) {
    if (ints) {
      store_integer(out, to, load_integer(in, from));
    } else if (complex_component(to) == dtype::float64) {
      store_element(out, to, load_element(in, from));
    } else if (dtype_is_floating(complex_component(to))) {
      store_element(out, to, load_float(in, from));  // float32/16/bf16/8: one rounding to float first
    } else {
      store_element(out, to, load_element(in, from));
    }
  }
}

/// The dtype means are computed in: float64 for float64, complex128 for complex128, complex64 for the other
/// complex dtypes, float32 otherwise (float8 among them: rounded once to float8 at the end).
inline dtype mean_type(dtype t) noexcept {
  if (t == dtype::float64 || t == dtype::complex128) return t;
  return dtype_is_complex(t) ? dtype::complex64 : dtype::float32;
}

/// The dtype a mean of tensors of dtypes `a` and `b` is computed in.
inline dtype mean_type(dtype a, dtype b) noexcept {
  const bool wide = mean_type(a) == dtype::float64 || mean_type(b) == dtype::float64 ||
                    mean_type(a) == dtype::complex128 || mean_type(b) == dtype::complex128;
  if (dtype_is_complex(a) || dtype_is_complex(b)) return wide ? dtype::complex128 : dtype::complex64;
  return wide ? dtype::float64 : dtype::float32;
}

/// Writes the mean of `rows` elements (each `n` elements of `type`) as `to`, accumulating in mean_type
/// (complex: part by part).
inline void mean_elements(const std::vector<const std::byte*>& rows, dtype type, std::byte* out, dtype to,
                          std::size_t n) {
  if (dtype_is_complex(type) && dtype_is_complex(to)) {
    mean_elements(rows, complex_component(type), out, complex_component(to), 2 * n);
    return;
  }
  const std::size_t es = dtype_size(type), eo = dtype_size(to);
  // Row by row into one accumulator per element: each element's sum is taken in row order (the same
  // result as summing each element's column), reading every row once and in order, so the mean of a
  // 150,000-row embedding streams through memory instead of striding across it.
  const auto accumulate = [&](auto zero, auto load) {
    std::vector<decltype(zero)> sum(n, zero);
    for (const std::byte* r : rows)
      for (std::size_t k = 0; k < n; ++k) sum[k] += load(r + k * es);
    const auto count = static_cast<decltype(zero)>(rows.size());
    for (std::size_t k = 0; k < n; ++k) store_element(out + k * eo, to, sum[k] / count);
  };
  if (complex_component(mean_type(type)) == dtype::float64)
    accumulate(0.0, [type](const std::byte* p) { return load_element(p, type); });
  else
    accumulate(0.0f, [type](const std::byte* p) { return load_float(p, type); });
}

}  // namespace graft::detail::host
