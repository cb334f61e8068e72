#pragma once
/// \file
/// Text helpers shared by every layer (internal): hex digits and JSON string literals.

#include <string>
#include <string_view>

namespace graft::detail {

/// Appends the two lower-case hex digits of a byte.
inline void append_hex_byte(std::string& out, unsigned char byte) {
  static constexpr char digits[] = "0123456789abcdef";
  out += digits[byte >> 4];
  out += digits[byte & 15];
}

/// Appends `s` as a JSON string literal (quotes included; control bytes as \u00XX).
inline void json_quote(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          append_hex_byte(out, static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace graft::detail
