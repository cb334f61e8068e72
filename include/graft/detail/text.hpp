#pragma once
/// \file
/// Text helpers shared by every layer (internal): hex digits, UTF-8 checks, text safe to print
/// (printable) and JSON string literals (json_quote).

#include <cstddef>
#include <string>
#include <string_view>

namespace graft::detail {

/// Appends the two lower-case hex digits of a byte.
inline void append_hex_byte(std::string& out, unsigned char byte) {
  static constexpr char digits[] = "0123456789abcdef";
  out += digits[byte >> 4];
  out += digits[byte & 15];
}

/// Appends each byte of `bytes` as `\xNN`.
inline void append_hex_escapes(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    out += "\\x";
    append_hex_byte(out, static_cast<unsigned char>(c));
  }
}

/// The length (1-4) of the well-formed UTF-8 sequence that starts at byte `i` of `s`, or 0 when the
/// byte there starts none (a stray continuation byte, an overlong form, a surrogate, a cut sequence).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return n;
}

/// The offset of the first byte of `s` that is not part of well-formed UTF-8 (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or npos when `s` is valid UTF-8.
inline std::size_t invalid_utf8_at(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

/// True when `s` is well-formed UTF-8.
inline bool is_utf8(std::string_view s) noexcept { return invalid_utf8_at(s) == std::string_view::npos; }

/// Calls `plain(i, n)` for each run of `n` bytes at `i` of `s` that is safe to show as it is (well-formed
/// UTF-8, no control character) and `unsafe(i, n)` for each byte or character that is not: a C0 control
/// byte (< 0x20), DEL (0x7f), a C1 control character (U+0080-U+009F, 2 bytes) or a byte that is not part
/// of well-formed UTF-8 (n = 1).
template <typename Plain, typename Unsafe>
inline void split_unsafe(std::string_view s, Plain&& plain, Unsafe&& unsafe) {
  std::size_t run = 0;  // start of the pending safe run
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : utf8_sequence_length(s, i);
    const bool is_unsafe =
        c < 0x20 || c == 0x7f || n == 0 || (c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0);
    if (!is_unsafe) {
      i += n;
      continue;
    }
    if (n == 0) n = 1;
    if (i > run) plain(run, i - run);
    unsafe(i, n);
    i += n;
    run = i;
  }
  if (s.size() > run) plain(run, s.size() - run);
}

/// `s` safe to print on a terminal: every control byte or character and every byte that is not
/// well-formed UTF-8 becomes `\xNN` (ESC is `\x1b`, a line break `\x0a`); other text, UTF-8 included,
/// is unchanged. Every name or label read from an input goes through this before it is shown.
inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  split_unsafe(
      s, [&](std::size_t i, std::size_t n) { out.append(s, i, n); },
      [&](std::size_t i, std::size_t n) { append_hex_escapes(out, s.substr(i, n)); });
  return out;
}

/// Appends `s` as a JSON string literal (quotes included), always well-formed UTF-8: `"` and `\`
/// escaped, control characters (C0, DEL, C1) as `\n`, `\r`, `\t` or `\u00XX`, and each byte that is
/// not part of well-formed UTF-8 as `\u00XX` of its value (the character Latin-1 gives that byte).
inline void json_quote(std::string& out, std::string_view s) {
  out += '"';
  split_unsafe(
      s,
      [&](std::size_t i, std::size_t n) {
        for (std::size_t k = i; k < i + n; ++k) {
          const char c = s[k];
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
      },
      [&](std::size_t i, std::size_t n) {
        const auto c = static_cast<unsigned char>(s[i + n - 1]);  // a C1 character's second byte is its code point
        switch (c) {
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          case '\t': out += "\\t"; break;
          default: out += "\\u00"; append_hex_byte(out, c);
        }
      });
  out += '"';
}

}  // namespace graft::detail
