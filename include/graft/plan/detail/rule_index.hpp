#pragma once
/// \file
/// rule_index: the rules of one list indexed by the first name segment their patterns fix, so that the
/// planner tests a name only against the rules that can match it (internal).

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace graft::detail {

/// The first dot-separated segment of a name.
inline std::string_view first_segment(std::string_view name) { return name.substr(0, name.find('.')); }

/// Rules of one list indexed by the first segment their patterns fix (see pattern::first_segment), so
/// that a name is only tested against rules that can match it. Visits candidates in rule order.
class rule_index {
public:
  /// `key_of(i)`: rule i's first segment, or nullopt when any name may match it.
  template <class KeyOf>
  rule_index(std::size_t count, KeyOf key_of) {
    for (std::size_t i = 0; i < count; ++i) {
      if (auto key = key_of(i))
        keyed_[*key].push_back(i);
      else
        unkeyed_.push_back(i);
    }
  }

  /// The first rule at or after `from` that may match `name` (`count` when none).
  std::size_t next(std::string_view name, std::size_t from, std::size_t count) const {
    std::size_t best = next_in(unkeyed_, from, count);
    if (!keyed_.empty()) {
      auto it = keyed_.find(first_segment(name));
      if (it != keyed_.end()) best = std::min(best, next_in(it->second, from, count));
    }
    return best;
  }

  /// Calls `f(i)` for every rule that may match `name`, in order, until `f` returns true.
  template <class F>
  void for_each(std::string_view name, std::size_t count, F f) const {
    static const std::vector<std::size_t> none;
    const std::vector<std::size_t>* keyed = &none;
    if (!keyed_.empty()) {
      auto it = keyed_.find(first_segment(name));
      if (it != keyed_.end()) keyed = &it->second;
    }
    // Merge the two ascending lists (a rule is in exactly one of them).
    auto a = unkeyed_.begin(), b = keyed->begin();
    while (a != unkeyed_.end() || b != keyed->end()) {
      const bool take_a = b == keyed->end() || (a != unkeyed_.end() && *a < *b);
      const std::size_t i = take_a ? *a++ : *b++;
      if (i >= count) return;
      if (f(i)) return;
    }
  }

private:
  static std::size_t next_in(const std::vector<std::size_t>& v, std::size_t from, std::size_t count) {
    auto it = std::lower_bound(v.begin(), v.end(), from);
    return it == v.end() ? count : *it;
  }
  std::unordered_map<std::string_view, std::vector<std::size_t>> keyed_;
  std::vector<std::size_t> unkeyed_;
};

/// A rule_index over a list of located patterns (or anything with a `pat`).
template <class List>
rule_index pattern_index(const List& list) {
  return rule_index(list.size(), [&](std::size_t i) { return list[i].pat.first_segment(); });
}

}  // namespace graft::detail
