#pragma once
/// \file
/// Root-cause hints of the policy stage (internal): findings that name the rule to write or fix when
/// the evidence is clear — a prefix to strip, a module renamed in the new model, a rename template that
/// writes one name for many tensors, an include that an exclude overrides, an expectation that names a
/// tensor by its name before a rename.

#include <graft/plan/plan.hpp>
#include <graft/rules/ruleset.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft::detail {

/// The prefix ("module.") that every unused source name starts with when stripping it would land some
/// of them on uncovered destinations, as a hint problem (none otherwise).
inline void suggest_strip(plan& p, plan_problem::severity level, const std::vector<std::string>& unused,
                          const std::vector<std::string>& uncovered) {
  if (unused.empty() || uncovered.empty()) return;
  const std::string prefix = unused[0].substr(0, unused[0].find('.') + 1);
  if (prefix.empty() || prefix.size() == unused[0].size()) return;
  for (const auto& n : unused)
    if (n.compare(0, prefix.size(), prefix) != 0 || n.size() == prefix.size()) return;
  const std::set<std::string_view> open(uncovered.begin(), uncovered.end());
  std::size_t landing = 0;
  for (const auto& n : unused) landing += open.count(std::string_view(n).substr(prefix.size()));
  if (!landing) return;
  std::string use;
  if (prefix == "module.") use = " (or use \"wrappers/dataparallel.graft\")";
  if (prefix == "1.") use = " (or use \"wrappers/fp16.graft\")";
  p.problems.push_back({level,
                        "every unused source tensor starts with '" + prefix + "', and " + std::to_string(landing) +
                            " of them name a destination tensor without it: strip \"" + prefix + "\"" + use,
                        plan_problem::subject::plan});
}

/// The first segment of `name` ("head" of "head.weight") and the rest ("weight"); no dot: no module.
inline std::pair<std::string_view, std::string_view> module_split(std::string_view name) {
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return {};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

/// An unused source module ("head") and an unfilled destination module ("keypoint_head") whose tensors
/// pair one to one by the rest of their names, with equal shapes: the module was renamed in the new model.
/// An error even when lenient (lenient mode would leave the trained module out and the new one fresh,
/// silently), naming the rename to write.
inline void suggest_module_rename(plan& p, const std::vector<const plan_entry*>& unused,
                                  const std::vector<std::size_t>& uncovered) {
  if (unused.empty() || uncovered.empty() || unused.size() * uncovered.size() > 4'000'000) return;
  std::map<std::string, std::map<std::string, shape_t>, std::less<>> from, onto;  // module -> rest -> shape
  for (const plan_entry* e : unused) {
    const std::string name = p.rules_name(*e);
    const auto [module, rest] = module_split(name);
    if (!module.empty()) from[std::string(module)][std::string(rest)] = p.source[*e->source].shape;
  }
  for (std::size_t d : uncovered) {
    const auto [module, rest] = module_split(p.destination[d].name);
    if (!module.empty()) onto[std::string(module)][std::string(rest)] = p.destination[d].shape;
  }
  for (const auto& [a, tensors] : from)
    for (const auto& [b, wanted] : onto) {
      if (a == b || tensors != wanted) continue;
      p.problems.push_back(
          {plan_problem::severity::error,
           "the unused source tensors '" + a + ".*' and the unfilled destination tensors '" + b +
               ".*' pair one to one (" + std::to_string(tensors.size()) +
               " of the same names and shapes): write rename \"" + a + ".**\" -> \"" + b + ".$1\"" +
               (p.lenient ? " (lenient mode does not hide this: exclude or keep them if it is meant)" : ""),
           plan_problem::subject::plan});
      return;
    }
}

/// A rename whose template uses none of its pattern's captures and so gives several tensors one name: an
/// error naming the rule, the name, and the `$N` it likely misses ("net.1" → "net.$1").
inline void report_collapsing_renames(plan& p, const rules::ruleset& rules) {
  for (const auto& r : rules.renames) {
    if (r.what != rules::name_rule::kind::rename || r.from.capture_count() == 0) continue;
    const std::string& text = r.to.text();
    if (text.find('$') != std::string::npos || r.to.writes_joint()) continue;
    std::set<std::string> renamed;
    for (const auto& e : p.entries)
      for (const auto& step : e.renames)
        if (step.where.source() == r.where.source() && step.where.offset() == r.where.offset())
          renamed.insert(step.before);
    if (renamed.size() < 2) continue;
    std::string meant;
    for (std::size_t i = 0; i < text.size() && meant.empty(); ++i)
      if (text[i] >= '1' && text[i] <= '9' && static_cast<std::size_t>(text[i] - '0') <= r.from.capture_count() &&
          (i + 1 == text.size() || text[i + 1] < '0' || text[i + 1] > '9'))
        meant = text.substr(0, i) + "$" + text.substr(i);
    p.problems.push_back(plan_problem::at_rule(
        plan_problem::severity::error, r.where,
        r.text() + " gives the " + std::to_string(renamed.size()) + " tensors it matches one name, '" + text +
            "': its template uses none of the pattern's " + std::to_string(r.from.capture_count()) + " capture" +
            (r.from.capture_count() == 1 ? "" : "s") +
            (meant.empty() ? " (write $1 for the first)" : " (did you mean \"" + meant + "\"?)")));
  }
}

/// For an include that let nothing through: " (every name it matches is dropped by exclude \"x\"
/// (file:line:col), and exclude always wins)" when an exclude took every name it matches, else "".
inline std::string shadowing_exclude(const plan& p, const rules::pattern& include) {
  std::string by;
  for (const auto& e : p.entries) {
    if (!e.source || e.what != category::excluded || e.rule.rfind("exclude ", 0) != 0) continue;
    if (!include.match(p.rules_name(e))) continue;
    by = e.rule + " (" + e.rule_where.str() + ")";
    break;
  }
  if (by.empty()) return {};
  return ": every name it matches is dropped by " + by + ", and exclude always wins";
}

/// For a destination-side expectation that matches no destination tensor: "; 'head.weight' is renamed to
/// 'classifier.weight' (expectations of this category name destination tensors)" when it matches a
/// source tensor's name before a rename, else "".
inline std::string renamed_away(const plan& p, const rules::pattern& pat) {
  for (const auto& e : p.entries) {
    if (!e.source || e.renames.empty()) continue;
    const std::string& name = p.source[*e.source].name;
    if (!pat.match(name)) continue;
    const std::string& to = e.renames.back().after;
    if (to.empty())
      return "; '" + name + "' is dropped by " + e.renames.back().rule + " (this category names destination tensors)";
    return "; '" + name + "' is renamed to '" + to + "' (this category names destination tensors: did you mean '" + to +
           "'?)";
  }
  return {};
}

}  // namespace graft::detail
