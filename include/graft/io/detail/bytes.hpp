#pragma once
/// \file
/// Little-endian loads/stores, byte views and name quoting for messages (internal). The loads do not
/// check bounds: callers check that the N bytes they load lie inside their buffer.

#include <graft/detail/text.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace graft::io::detail {

/// Reads an unsigned little-endian integer of N bytes (N <= 8).
template <std::size_t N>
inline std::uint64_t load_le(const std::byte* p) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < N; ++i) v |= static_cast<std::uint64_t>(std::to_integer<unsigned>(p[i])) << (8 * i);
  return v;
}

inline std::uint16_t load_u16(const std::byte* p) noexcept { return static_cast<std::uint16_t>(load_le<2>(p)); }
inline std::uint32_t load_u32(const std::byte* p) noexcept { return static_cast<std::uint32_t>(load_le<4>(p)); }
inline std::uint64_t load_u64(const std::byte* p) noexcept { return load_le<8>(p); }

/// Appends an unsigned little-endian integer of N bytes.
template <std::size_t N>
inline void store_le(std::string& out, std::uint64_t v) {
  for (std::size_t i = 0; i < N; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// A view of bytes as a string_view (for names and small records).
inline std::string_view as_chars(const std::byte* p, std::size_t n) noexcept {
  return {reinterpret_cast<const char*>(p), n};
}

/// Quotes a name for messages, truncating long ones; control bytes, bytes that are not UTF-8 (see
/// graft::detail::printable), quotes and backslashes become `\xNN`.
inline std::string quote_name(std::string_view s, std::size_t max = 80) {
  const std::string_view shown = s.substr(0, max);
  std::string out = "'";
  const auto hex = [&](std::size_t i, std::size_t n) { graft::detail::append_hex_escapes(out, shown.substr(i, n)); };
  graft::detail::split_unsafe(
      shown,
      [&](std::size_t i, std::size_t n) {
        for (std::size_t k = i; k < i + n; ++k) {
          if (shown[k] == '\'' || shown[k] == '\\')
            hex(k, 1);
          else
            out += shown[k];
        }
      },
      hex);
  if (s.size() > max) out += "...";
  return out + "'";
}

}  // namespace graft::io::detail
