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

/// Quotes a name for messages, escaping control characters and truncating long ones.
inline std::string quote_name(std::string_view s, std::size_t max = 80) {
  std::string out = "'";
  std::size_t n = 0;
  for (char c : s) {
    if (++n > max) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\'' || c == '\\') {
      out += "\\x";
      graft::detail::append_hex_byte(out, u);
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace graft::io::detail
