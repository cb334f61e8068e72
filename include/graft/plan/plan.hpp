#pragma once
/// \file
/// The plan: rules × source shapes × destination shapes → what happens to every tensor, before any data moves.

#include <graft/plan/shape_steps.hpp>
#include <graft/rules/layout.hpp>
#include <graft/source.hpp>
#include <graft/tensor_meta.hpp>
#include <graft/vocabulary.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace graft {

/// How a plan treats strictness.
struct plan_options {
  bool lenient = false;       ///< unused sources / uncovered destinations are warnings, not errors
  bool strict_rules = false;  ///< a rule that matches nothing is an error, not a warning
};

/// One rewrite of a source name by a strip/rename rule.
struct rename_step {
  std::string rule;       ///< the rule as written
  source_location where;  ///< its place
  std::string before;     ///< the name before
  std::string after;      ///< the name after
};

/// What happens to one tensor (or one source/destination pair).
struct plan_entry {
  category what = category::copied;
  std::optional<std::size_t> source;             ///< index into plan::source
  std::optional<std::size_t> destination;        ///< index into plan::destination
  std::vector<std::size_t> mean_of;              ///< synthesized: whole source tensors averaged (one = a copy)
  std::vector<rules::dim_selection> selections;  ///< mapped by a layout: per-dimension index lists
  std::vector<shape_step> steps;                 ///< mapped by a literal reshape
  bool cast = false;                             ///< source dtype differs from the destination's
  std::string rule;                              ///< the deciding rule as written (reshape, exclude, keep, ...)
  source_location rule_where;                    ///< its place
  std::vector<rename_step> renames;              ///< how the source name became the destination name
  std::string note;                              ///< joint summary, reason, or cast description
};

/// True when a selection fills destination rows from source rows in another order than the source's
/// (a permutation, not only a subset: `coco -> crowdpose` reorders, `imagenet -> imagenet` does not).
inline bool reorders(const rules::dim_selection& sel) {
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // (destination, source)
  rows.reserve(sel.source_index.size());
  for (std::size_t i = 0; i < sel.source_index.size() && i < sel.destination_index.size(); ++i)
    rows.emplace_back(sel.destination_index[i], sel.source_index[i]);
  std::sort(rows.begin(), rows.end());
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (rows[i].second <= rows[i - 1].second) return true;
  return false;
}

/// A finding: errors fail the plan, warnings are reported.
struct plan_problem {
  enum class severity { error, warning };
  /// What a problem is about. plan::problems lists them in this order: causes before their effects.
  enum class subject {
    plan,   ///< the plan as a whole (it moves nothing)
    rule,   ///< a rule: a pattern or alternative that matches nothing, a failed expectation
    tensor  ///< one tensor: a conflict, an unused source, a destination without a source
  };
  plan_problem() = default;
  /// A problem of `level` about `about`; `tensor` and `group` for tensor problems that fold together.
  plan_problem(severity level_, std::string message_, subject about_ = subject::tensor, std::string tensor_ = {},
               std::string group_ = {})
      : level(level_),
        message(std::move(message_)),
        about(about_),
        tensor(std::move(tensor_)),
        group(std::move(group_)) {}

  /// A problem of `level` about a rule written at `at`: the message reads "file:line:col: text", and the
  /// report shows the rule's line and a caret under it.
  static plan_problem at_rule(severity level_, const source_location& at, const std::string& text,
                              subject about_ = subject::rule, std::string tensor_ = {}, std::string group_ = {}) {
    plan_problem p(level_, at.known() ? at.str() + ": " + text : text, about_, std::move(tensor_), std::move(group_));
    p.where = at;
    return p;
  }

  severity level = severity::error;
  std::string message;              ///< one line, starting with file:line:col where a rule is involved
  subject about = subject::tensor;  ///< what it is about
  std::string tensor;               ///< tensor problems: the tensor's name
  std::string group;                ///< problems that read alike but for the tensor share it (the report folds them)
  source_location where;            ///< the rule's place when the message starts with it (else unknown)
};

/// A complete plan: every source and every destination tensor accounted for exactly once.
struct plan {
  tensor_set source;                ///< the source name/shape set
  tensor_set destination;           ///< the destination name/shape set
  std::vector<plan_entry> entries;  ///< destination order first, then source-only entries
  std::vector<plan_problem> problems;
  std::vector<std::string> rules_files;                                 ///< the files the rules came from
  std::vector<std::shared_ptr<const rules::joint_mapping>> label_maps;  ///< the label maps rules use, first use first
  bool lenient = false;                                                 ///< the mode in force

  /// True when no problem is an error.
  bool ok() const {
    return std::none_of(problems.begin(), problems.end(),
                        [](const plan_problem& p) { return p.level == plan_problem::severity::error; });
  }
  /// Number of entries in a category.
  std::size_t count(category c) const {
    return static_cast<std::size_t>(
        std::count_if(entries.begin(), entries.end(), [c](const plan_entry& e) { return e.what == c; }));
  }
  /// Number of problems of a severity.
  std::size_t count(plan_problem::severity s) const {
    return static_cast<std::size_t>(
        std::count_if(problems.begin(), problems.end(), [s](const plan_problem& p) { return p.level == s; }));
  }
  /// The entry that fills a destination tensor, by name.
  const plan_entry* for_destination(std::string_view name) const {
    for (const auto& e : entries)
      if (e.destination && destination[*e.destination].name == name) return &e;
    return nullptr;
  }
  /// The entry that consumes a source tensor, by name (its pair, or its excluded/unused entry).
  const plan_entry* for_source(std::string_view name) const {
    for (const auto& e : entries)
      if (e.source && source[*e.source].name == name) return &e;
    for (const auto& e : entries)
      for (auto s : e.mean_of)
        if (source[s].name == name) return &e;
    return nullptr;
  }
  /// The source tensor's name as the rules after strip and rename see it (what `exclude` judges): the
  /// routed name, or for a tensor a rename dropped the name that rule saw. "" without a source.
  std::string rules_name(const plan_entry& e) const {
    if (!e.source) return {};
    if (e.renames.empty()) return source[*e.source].name;
    return e.renames.back().after.empty() ? e.renames.back().before : e.renames.back().after;
  }
  /// The entry's display name: its destination's name, else its source's.
  std::string name_of(const plan_entry& e) const {
    if (e.destination) return destination[*e.destination].name;
    if (e.source) return source[*e.source].name;
    return {};
  }
};

}  // namespace graft
