#pragma once
/// \file
/// Rename templates: literal text with `$N` / `${N}` (a pattern's captures) and `<set>` (its joint,
/// translated to another joint set).

#include <graft/rules/pattern.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace graft::rules {

/// Translates a joint index between sets for `<set>` in templates; nullopt drops the tensor.
using joint_translator = std::function<std::optional<std::size_t>(const std::string& from_set, std::size_t index,
                                                                  const std::string& to_set)>;

/// The longest name a rename may make, in bytes: far above any real tensor name (a few hundred), low
/// enough that rules which grow names (`rename "**" -> "$1.$1"`, repeated) fail at once instead of
/// doubling a name to gigabytes.
inline constexpr std::size_t max_name_bytes = 4096;

/// A rename template: literal text with `$N` / `${N}` and `<set>` placeholders.
class name_template {
public:
  name_template() = default;

  /// Compiles `text` against a pattern with `captures` captures. Throws pattern_syntax_error.
  static name_template compile(std::string text, std::size_t captures, const joint_set_sizes& sizes = {}) {
    name_template t;
    t.text_ = std::move(text);
    const std::string& s = t.text_;
    std::string literal;
    for (std::size_t i = 0; i < s.size();) {
      if (s[i] == '$') {
        std::size_t j = i + 1;
        const bool braced = j < s.size() && s[j] == '{';
        if (braced) ++j;
        std::size_t k = j;
        while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
        if (k == j || (braced && (k >= s.size() || s[k] != '}')))
          throw pattern_syntax_error(i, "'$' must be followed by a capture number ($1, ${2})");
        // Read against the bound, not with std::stoul: any number above it (30 digits too) is no capture.
        std::size_t n = 0;
        bool too_large = false;
        for (std::size_t d = j; d < k && !too_large; ++d) {
          const auto digit = static_cast<std::size_t>(s[d] - '0');
          too_large = captures < digit || n > (captures - digit) / 10;
          n = n * 10 + digit;
        }
        if (too_large || n == 0)
          throw pattern_syntax_error(
              i, "$" + s.substr(j, k - j) + " refers to no capture (the pattern has " + std::to_string(captures) + ")");
        t.parts_.push_back(part{std::move(literal), n, {}});
        literal.clear();
        i = braced ? k + 1 : k;
      } else if (s[i] == '<') {
        const std::size_t close = s.find('>', i);
        if (close == std::string::npos) throw pattern_syntax_error(i, "unclosed '<'");
        std::string set = s.substr(i + 1, close - i - 1);
        if (set.empty()) throw pattern_syntax_error(i, "'<>' needs a joint set name");
        if (sizes && !sizes(set)) throw pattern_syntax_error(i + 1, "unknown joint set '" + set + "'");
        t.parts_.push_back(part{std::move(literal), 0, set});
        literal.clear();
        i = close + 1;
      } else if (s[i] == '*' || s[i] == '{' || s[i] == '}') {
        throw pattern_syntax_error(i, std::string("'") + s[i] + "' is a wildcard; templates use $N for captures");
      } else {
        literal += s[i++];
      }
    }
    t.tail_ = std::move(literal);
    return t;
  }

  /// The template as written.
  const std::string& text() const noexcept { return text_; }
  /// True when the template writes a `<set>` joint index.
  bool writes_joint() const {
    for (const auto& p : parts_)
      if (!p.joint_set.empty()) return true;
    return false;
  }

  /// At least the size of expand()'s result for `caps` (its literals, captures and up to 20 digits per
  /// `<set>`), computed without building it; no overflow for any captures a match can produce.
  std::size_t expanded_size_bound(const std::vector<capture>& caps) const {
    std::size_t n = tail_.size();
    for (const auto& p : parts_) n += p.literal.size() + (p.capture ? caps.at(p.capture - 1).text.size() : 20);
    return n;
  }

  /// Expands with captures; dots left doubled or dangling by empty captures are removed.
  /// Returns nullopt when a `<set>` joint has no counterpart (the translator says so).
  std::optional<std::string> expand(const std::vector<capture>& caps, const joint_translator& translate = {}) const {
    std::string out;
    for (const auto& p : parts_) {
      out += p.literal;
      if (p.capture) {
        out += caps.at(p.capture - 1).text;
      } else {
        const capture* joint = nullptr;
        for (const auto& c : caps)
          if (c.joint_index) joint = &c;
        if (!joint) return std::nullopt;
        std::optional<std::size_t> index = *joint->joint_index;
        if (joint->joint_set != p.joint_set) {
          if (!translate) return std::nullopt;
          index = translate(joint->joint_set, *joint->joint_index, p.joint_set);
        }
        if (!index) return std::nullopt;
        out += std::to_string(*index);
      }
    }
    out += tail_;
    return normalize_dots(out);
  }

  /// Collapses ".." and trims leading/trailing dots.
  static std::string normalize_dots(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
      if (c == '.' && (out.empty() || out.back() == '.')) continue;
      out += c;
    }
    while (!out.empty() && out.back() == '.') out.pop_back();
    return out;
  }

private:
  struct part {
    std::string literal;    // text before the placeholder
    std::size_t capture;    // $N (0: a joint placeholder)
    std::string joint_set;  // <set>
  };
  std::string text_;
  std::vector<part> parts_;
  std::string tail_;
};

}  // namespace graft::rules
