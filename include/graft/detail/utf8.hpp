#pragma once
/// \file
/// UTF-8 validation (internal): tensor names and metadata keys must be valid UTF-8 on every path
/// (PyTorch cannot load a .pth whose names are not), so readers and writers refuse other bytes.

#include <graft/detail/text.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace graft::detail {

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
