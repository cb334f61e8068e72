#pragma once
/// \file
/// A small strict JSON parser for safetensors headers and indexes (internal): strings must be valid
/// UTF-8, keys unique (checked by hashing), nesting bounded, and what it builds is charged against a
/// memory budget (json_limits). The escaper is graft/detail/text.hpp.

#include <graft/detail/text.hpp>
#include <graft/detail/utf8.hpp>
#include <graft/io/detail/budget.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
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

/// Thrown by parse_json when the document would build more than its memory budget.
struct json_budget_error : json_error {
  using json_error::json_error;
};

/// Limits of parse_json. What it builds (value nodes, object members, string bytes) may take at most
/// memory_factor bytes per byte of the text plus memory_floor. A real safetensors header builds
/// about 10x its size; a header of nothing but `0,` array items, 44x.
struct json_limits {
  std::size_t max_depth = 64;                        ///< deepest nesting of arrays and objects
  std::size_t memory_factor = 32;                    ///< budget bytes per byte of text
  std::size_t memory_floor = std::size_t{16} << 20;  ///< budget bytes granted to any text
};

class json_parser {
public:
  explicit json_parser(std::string_view s, const json_limits& limits = {})
      : s_(s),
        max_depth_(limits.max_depth),
        budget_(scaled_budget(s.size(), limits.memory_factor, limits.memory_floor)) {}

  json parse() {
    json v = value(0);
    ws();
    if (i_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& what) const { throw json_error(what + " at offset " + std::to_string(i_)); }
  /// Charges `n` bytes of what is built against the budget.
  void charge(std::size_t n) {
    if (n > budget_ - charged_)
      throw json_budget_error("the parsed JSON needs more than " + std::to_string(budget_) +
                              " bytes (the memory budget: json_limits::memory_factor x the text's size + "
                              "memory_floor) at offset " +
                              std::to_string(i_));
    charged_ += n;
  }
  /// Hashes the key of member `i` of the object being parsed, for the duplicate check.
  struct member_key_hash {
    const std::vector<std::pair<std::string, json>>* members;
    std::size_t operator()(std::size_t i) const noexcept { return std::hash<std::string>{}((*members)[i].first); }
  };
  struct member_key_equal {
    const std::vector<std::pair<std::string, json>>* members;
    bool operator()(std::size_t a, std::size_t b) const noexcept { return (*members)[a].first == (*members)[b].first; }
  };
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
      // member indexes, hashed by key: linear in the members however many there are
      std::unordered_set<std::size_t, member_key_hash, member_key_equal> keys(8, member_key_hash{&v.members},
                                                                              member_key_equal{&v.members});
      do {
        ws();
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string key");
        std::string key = string();
        expect(':');
        charge(sizeof(v.members[0]) + 4 * sizeof(void*));  // the member and its node in `keys`
        v.members.emplace_back(std::move(key), value(depth + 1));
        if (!keys.insert(v.members.size() - 1).second)
          fail("duplicate key " + graft::detail::quote_bytes(v.members.back().first));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.k = json::kind::array;
      if (eat(']')) return v;
      do {
        charge(sizeof(json));
        v.items.push_back(value(depth + 1));
      } while (eat(','));
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
      charge(v.text.size());
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
      if (c == '"') {
        charge(out.size());
        const std::string bad = graft::detail::utf8_problem("string", out);
        if (!bad.empty()) fail(bad);
        return out;
      }
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
  std::size_t budget_;
  std::size_t charged_ = 0;
  std::size_t i_ = 0;
};

/// Parses a JSON document within `limits`; throws json_error (json_budget_error beyond the budget).
inline json parse_json(std::string_view s, const json_limits& limits = {}) { return json_parser(s, limits).parse(); }

using graft::detail::json_quote;

}  // namespace graft::io::detail
