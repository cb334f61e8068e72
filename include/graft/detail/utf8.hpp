#pragma once
/// \file
/// UTF-8 validation (internal): tensor names and metadata keys must be valid UTF-8 on every path
/// (PyTorch cannot load a .pth whose names are not), so readers and writers refuse other bytes.

#include <graft/detail/text.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace graft::detail {

/// The offset of the first byte of `s` that is not part of well-formed UTF-8 (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or npos when `s` is valid UTF-8.
inline std::size_t invalid_utf8_at(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return i;
    }
    if (s.size() - i <= n) return i;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

/// True when `s` is well-formed UTF-8.
inline bool valid_utf8(std::string_view s) noexcept { return invalid_utf8_at(s) == std::string_view::npos; }

/// `s` quoted for a message about its encoding: printable ASCII as is, every other byte as \xNN,
/// at most `max` bytes shown.
inline std::string quote_bytes(std::string_view s, std::size_t max = 80) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      out += "\\x";
      append_hex_byte(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

/// "<what> <quoted bytes> is not valid UTF-8 (byte <offset>)" when `s` is not valid UTF-8, else "".
inline std::string utf8_problem(std::string_view what, std::string_view s) {
  const std::size_t at = invalid_utf8_at(s);
  if (at == std::string_view::npos) return {};
  return std::string(what) + " " + quote_bytes(s) + " is not valid UTF-8 (byte " + std::to_string(at) + ")";
}

}  // namespace graft::detail
