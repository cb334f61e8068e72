#pragma once
/// \file
/// A small strict JSON parser for safetensors headers (internal); the escaper is graft/detail/text.hpp.

#include <graft/detail/text.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft::io::detail {

/// A JSON value; objects keep their members in document order.
struct json {
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };
  kind k = kind::null;
  bool boolean = false;
  std::string text;                                   ///< string value, or a number's literal text
  std::vector<json> items;                            ///< array
  std::vector<std::pair<std::string, json>> members;  ///< object

  /// The member called `key`, or nullptr.
  const json* find(std::string_view key) const noexcept {
    for (const auto& m : members)
      if (m.first == key) return &m.second;
    return nullptr;
  }
  /// For a number: its value as an integer, if it is a non-negative integer literal that fits.
  std::optional<std::uint64_t> as_uint() const noexcept {
    if (k != kind::number || text.empty() || text[0] == '-' || text.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, static_cast<unsigned>(c - '0'), &v))
        return std::nullopt;
    }
    return v;
  }
};

/// Thrown by parse_json with a message and byte offset.
struct json_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class json_parser {
public:
  explicit json_parser(std::string_view s, std::size_t max_depth = 64) : s_(s), max_depth_(max_depth) {}

  json parse() {
    json v = value(0);
    ws();
    if (i_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& what) const { throw json_error(what + " at offset " + std::to_string(i_)); }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  json value(std::size_t depth) {
    if (depth > max_depth_) fail("nesting too deep");
    ws();
    if (i_ >= s_.size()) fail("unexpected end of JSON");
    json v;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.k = json::kind::object;
      if (eat('}')) return v;
      do {
        ws();
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string key");
        std::string key = string();
        for (const auto& m : v.members)
          if (m.first == key) fail("duplicate key \"" + key + "\"");
        expect(':');
        v.members.emplace_back(std::move(key), value(depth + 1));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.k = json::kind::array;
      if (eat(']')) return v;
      do v.items.push_back(value(depth + 1));
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.k = json::kind::string;
      v.text = string();
    } else if (s_.compare(i_, 4, "true") == 0) {
      i_ += 4;
      v.k = json::kind::boolean;
      v.boolean = true;
    } else if (s_.compare(i_, 5, "false") == 0) {
      i_ += 5;
      v.k = json::kind::boolean;
    } else if (s_.compare(i_, 4, "null") == 0) {
      i_ += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.k = json::kind::number;
      std::size_t b = i_;
      if (s_[i_] == '-') ++i_;
      auto digits = [&] {
        std::size_t d = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        if (i_ == d) fail("malformed number");
      };
      digits();
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        digits();
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        digits();
      }
      v.text.assign(s_.substr(b, i_ - b));
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    return v;
  }
  unsigned hex4() {
    if (s_.size() - i_ < 4) fail("truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("bad \\u escape");
    }
    return v;
  }
  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  std::string string() {
    ++i_;  // opening quote
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xd800 && cp < 0xdc00) {
            if (s_.compare(i_, 2, "\\u") != 0) fail("unpaired surrogate");
            i_ += 2;
            unsigned lo = hex4();
            if (lo < 0xdc00 || lo >= 0xe000) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            fail("unpaired surrogate");
          }
          utf8(out, cp);
          break;
        }
        default: fail(std::string("bad escape '\\") + e + "'");
      }
    }
  }

  std::string_view s_;
  std::size_t max_depth_;
  std::size_t i_ = 0;
};

/// Parses a JSON document; throws json_error.
inline json parse_json(std::string_view s) { return json_parser(s).parse(); }

using graft::detail::json_quote;

}  // namespace graft::io::detail
