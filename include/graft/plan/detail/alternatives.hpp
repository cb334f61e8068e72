#pragma once
/// \file
/// alternative_hits: which `{a,b}` alternatives of a list of patterns took part in a match, so that an
/// alternative no match ever takes is reported (internal). Costs nothing once every alternative of a
/// pattern has been seen, and nothing for patterns without alternatives.

#include <graft/rules/pattern.hpp>
#include <graft/source.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace graft::detail {

/// Per pattern of one rule list: the alternatives seen in a successful match.
class alternative_hits {
public:
  alternative_hits() = default;
  /// Tracks `count` patterns; `pattern_of(i)` is pattern i.
  template <class PatternOf>
  alternative_hits(std::size_t count, PatternOf pattern_of) : rows_(count) {
    for (std::size_t i = 0; i < count; ++i) {
      const rules::pattern& p = pattern_of(i);
      rows_[i].used.assign(p.alternatives().size(), false);
      rows_[i].left = p.alternatives().size();
    }
  }

  /// Records the alternatives of pattern `i` (`p`) that the match of `name` takes; call after a match.
  void note(std::size_t i, const rules::pattern& p, std::string_view name) {
    row& r = rows_[i];
    if (r.left == 0) return;  // the common case: no alternatives, or all of them seen
    p.mark_alternatives(name, r.used);
    r.left = 0;
    for (bool u : r.used) r.left += u ? 0 : 1;
  }

  /// The indices (into pattern::alternatives()) of pattern `i`'s alternatives no match took.
  std::vector<std::size_t> unused(std::size_t i) const {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < rows_[i].used.size(); ++k)
      if (!rows_[i].used[k]) out.push_back(k);
    return out;
  }

private:
  struct row {
    std::vector<bool> used;
    std::size_t left = 0;
  };
  std::vector<row> rows_;
};

/// Where byte `offset` of a quoted string's value lies in its file, given a location at or before the
/// string's opening quote (escapes counted as the characters they stand for). `at` itself when unknown.
inline source_location inside_string(const source_location& at, std::size_t offset) {
  if (!at.known()) return at;
  const std::string& text = at.source()->text();
  std::size_t i = text.find('"', at.offset());
  if (i == std::string::npos) return at;
  ++i;
  for (std::size_t k = 0; k < offset && i < text.size() && text[i] != '"'; ++k) i += text[i] == '\\' ? 2 : 1;
  return source_location(at.source(), i);
}

}  // namespace graft::detail
