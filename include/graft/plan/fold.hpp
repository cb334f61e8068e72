#pragma once
/// \file
/// Folding many tensor names into a few readable lines (`stage{2..4}.**  (1716)`).

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft {

/// One line of a folded name list: a glob-like label and how many names it stands for.
struct folded_names {
  std::string label;
  std::size_t count = 0;
  std::vector<std::size_t> members;  ///< the names it stands for, as indices into the list folded
};

namespace detail {

/// "0..3" for a contiguous run, else "0,2,5" (values sorted numerically).
inline std::string number_list(const std::set<long>& values) {
  if (values.size() == 1) return std::to_string(*values.begin());
  const long lo = *values.begin(), hi = *values.rbegin();
  if (static_cast<long>(values.size()) == hi - lo + 1)
    return "{" + std::to_string(lo) + ".." + std::to_string(hi) + "}";
  std::string out = "{";
  for (long v : values) out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + "}";
}

/// Splits "stage3" into ("stage", 3); no digits → number -1.
inline std::pair<std::string, long> split_trailing_number(std::string_view s) {
  std::size_t i = s.size();
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') --i;  // ASCII digits, whatever the locale
  if (i == s.size() || s.size() - i > 9) return {std::string(s), -1};
  return {std::string(s.substr(0, i)), std::stol(std::string(s.substr(i)))};
}

}  // namespace detail

/// Folds names by their first segment: "conv1.weight" stays itself when alone; modules with
/// several tensors become "layer1.**"; numbered siblings merge ("stage2", "stage3" → "stage{2..3}"; "stage1", "stage3"
/// → "stage{1,3}"). Order follows the first appearance of each module.
inline std::vector<folded_names> fold_names(const std::vector<std::string>& names) {
  struct group {
    std::set<long> numbers;
    std::vector<std::size_t> members;  // indices into `names`
  };
  std::vector<std::string> order;
  std::map<std::string, group> groups;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const std::string head = name.substr(0, name.find('.'));
    auto [stem, number] = detail::split_trailing_number(head);
    const std::string key = number < 0 ? head : stem + "#";
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) order.push_back(key);
    if (number >= 0) it->second.numbers.insert(number);
    it->second.members.push_back(i);
  }
  std::vector<folded_names> out;
  for (const auto& key : order) {
    const group& g = groups[key];
    if (g.members.size() == 1) {
      out.push_back({names[g.members[0]], 1, g.members});
      continue;
    }
    std::string head = key;
    if (!g.numbers.empty()) head = key.substr(0, key.size() - 1) + detail::number_list(g.numbers);
    // A module whose tensors are all direct children reads better as "conv1.*".
    const bool flat = std::all_of(g.members.begin(), g.members.end(), [&](std::size_t i) {
      const std::string& m = names[i];
      const auto dot = m.find('.');
      return dot != std::string::npos && m.find('.', dot + 1) == std::string::npos;
    });
    out.push_back({head + (flat ? ".*" : ".**"), g.members.size(), g.members});
  }
  return out;
}

}  // namespace graft
