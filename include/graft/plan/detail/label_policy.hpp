#pragma once
/// \file
/// Label-level policy (internal): every destination label that a used map leaves without a source is
/// acknowledged (`keep` in the map), and every `expect labels` line holds on the plan's index lists.

#include <graft/plan/detail/alternatives.hpp>
#include <graft/plan/detail/policy.hpp>
#include <graft/plan/labels.hpp>
#include <graft/plan/plan.hpp>
#include <graft/rules/ruleset.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace graft::detail {

/// The maps the rules use, first use first, into p.label_maps; for each, its destination labels
/// without a source that no `keep` or `zero` acknowledges are an error (a warning when lenient), at the `map`
/// statement or, for an implicit same-name map, at its first use; each with a did-you-mean among the
/// source labels no destination label takes.
inline void check_label_maps(plan& p, const rules::ruleset& rules) {
  const auto level = p.lenient ? plan_problem::severity::warning : plan_problem::severity::error;
  std::set<const rules::joint_mapping*> seen;
  for (const auto& use : rules.map_uses) {
    const rules::joint_mapping& m = *use.map;
    if (!seen.insert(&m).second) continue;
    p.label_maps.push_back(use.map);
    const auto missing = m.unacknowledged();
    if (missing.empty()) continue;
    const auto dropped = m.dropped();
    std::vector<std::string> free_labels;
    for (auto a : dropped) free_labels.push_back(m.from_joints[a]);
    const bool suggest = missing.size() * free_labels.size() <= 4'000'000;
    std::string listed, names;
    for (std::size_t i = 0; i < missing.size(); ++i) {
      const std::string& label = m.to_joints[missing[i]];
      if (i < 10) names += (i ? ", " : "") + label;
      if (i == 10) listed += " and " + std::to_string(missing.size() - 10) + " more";
      if (i >= 10) continue;
      listed += (i ? ", '" : "'") + label + "'";
      if (auto near = suggest ? rules::closest_match(label, free_labels) : std::nullopt)
        listed += " (did you mean '" + *near + "', which nothing takes from " + m.from + "?)";
    }
    const bool one = missing.size() == 1;
    const bool declared = m.where.known();
    const source_location where = declared ? m.where : use.where;
    const std::string keep_list = missing.size() > 10 ? "..." : names;
    const std::string fix = declared ? (missing.size() > 10 ? "list them in a 'keep' entry of the map"
                                                            : "add 'keep " + keep_list + "' to the map")
                                     : "acknowledge " + std::string(one ? "it" : "them") + " with 'map " + m.from +
                                           " -> " + m.to + " { keep " + keep_list + " }'";
    p.problems.push_back(plan_problem::at_rule(
        level, where,
        std::string(declared ? "map " : "") + m.from + " -> " + m.to +
            (declared ? ""
                      : " (no map statement: every " + rules::label_word(m.to_kind, false) + " takes its namesake)") +
            " gives no source to " + m.to + " " + rules::label_word(m.to_kind, !one) + " " + listed + ": " + fix +
            ", or map " + (one ? "it" : "them")));
  }
}

/// Why `e` (destination `name`) cannot be checked on `x`'s dimension, or "".
inline std::string label_check_blocker(const plan& p, const plan_entry& e, const rules::label_expectation& x) {
  const std::string name = "'" + p.name_of(e) + "'";
  if (e.what != category::mapped || e.selections.empty())
    return name + " is " + category_name(e.what) + ", not mapped by a layout";
  const rules::dim_selection* sel = selection_on(e, x.dim);
  if (!sel) {
    std::string dims;
    for (const auto& s : e.selections) dims += (dims.empty() ? "" : ", ") + std::to_string(s.dim);
    return name + " has no layout on dim " + std::to_string(x.dim) + " (its layouts: dim " + dims + ")";
  }
  if (sel->joint_spans.empty()) return name + " dim " + std::to_string(x.dim) + " has no joint segment";
  for (std::size_t k = 0; k < sel->joint_spans.size(); ++k) {
    const auto& m = *sel->joint_spans[k].map;
    if (m.from != x.expected->from || m.to != x.expected->to)
      return name + " dim " + std::to_string(x.dim) + " segment " + std::to_string(k + 1) + " is " + m.from + " -> " +
             m.to;
  }
  return {};
}

/// Every `expect labels` line: at least one destination tensor matches, and in each, every joint
/// segment of the dimension maps the expected sets with each label's rows as stated.
inline void check_label_expectations(plan& p, const rules::ruleset& rules, const plan_options& options) {
  alternative_hits alternatives(rules.label_expects.size(),
                                [&](std::size_t i) -> const rules::pattern& { return rules.label_expects[i].pat; });
  for (std::size_t i = 0; i < rules.label_expects.size(); ++i) {
    const rules::label_expectation& x = rules.label_expects[i];
    const std::string rule = "expect labels \"" + x.pat.text() + "\" dim " + std::to_string(x.dim) + " = " +
                             x.expected->from + " -> " + x.expected->to;
    std::size_t matched = 0, failed = 0;
    std::string failures;
    const auto fail = [&](const std::string& why) {
      if (++failed <= 3) failures += (failures.empty() ? "" : "; ") + why;
    };
    for (const auto& e : p.entries) {
      if (!e.destination || !x.pat.match(p.destination[*e.destination].name)) continue;
      ++matched;
      alternatives.note(i, x.pat, p.destination[*e.destination].name);
      if (auto why = label_check_blocker(p, e, x); !why.empty()) {
        fail(why);
        continue;
      }
      const rules::dim_selection& sel = *selection_on(e, x.dim);
      const auto expected = [&](const rules::joint_span&) -> const rules::joint_mapping& { return *x.expected; };
      for (const auto& m : label_mismatches(sel, expected)) fail("'" + p.name_of(e) + "' " + m);
    }
    if (!matched) {
      p.problems.push_back(plan_problem::at_rule(plan_problem::severity::error, x.where,
                                                 rule + " failed: no destination tensor matches"));
    } else if (failed) {
      p.problems.push_back(
          plan_problem::at_rule(plan_problem::severity::error, x.where,
                                rule + " failed: " + failures +
                                    (failed > 3 ? " (and " + std::to_string(failed - 3) + " more)" : std::string())));
    } else {
      // A misspelled alternative whose meant tensor is not checked is an error: its rows go unchecked.
      const auto names = [&] {
        std::vector<std::string> out;
        for (const auto& t : p.destination) out.push_back(t.name);
        return out;
      };
      const auto evidence = [&](const std::string& name) -> std::string {
        const plan_entry* e = p.for_destination(name);
        return e ? "so '" + name + "' goes unchecked" : std::string();
      };
      report_unused_alternatives(p,
                                 options.strict_rules ? plan_problem::severity::error : plan_problem::severity::warning,
                                 rule, x.where, x.pat, alternatives, i, names, evidence);
    }
  }
}

}  // namespace graft::detail
