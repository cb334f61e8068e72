#pragma once
/// \file
/// filters: the include/exclude lists on routed source names and the keep list on destination names,
/// counting which patterns matched (the planner's second stage; graft::explain traces it).

#include <graft/plan/detail/alternatives.hpp>
#include <graft/plan/detail/rule_index.hpp>
#include <graft/plan/plan.hpp>
#include <graft/rules/ruleset.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace graft {

/// Applies a ruleset's include, exclude and keep patterns and counts their matches.
class filters {
public:
  /// Filters over `rules` (kept by reference).
  explicit filters(const rules::ruleset& rules)
      : rules_(rules),
        include_index_(detail::pattern_index(rules.includes)),
        exclude_index_(detail::pattern_index(rules.excludes)),
        keep_index_(detail::pattern_index(rules.keeps)),
        include_hits_(rules.includes.size(), 0),
        exclude_hits_(rules.excludes.size(), 0),
        keep_hits_(rules.keeps.size(), 0),
        keep_matches_(rules.keeps.size(), 0),
        include_alternatives_(list_alternatives(rules.includes)),
        exclude_alternatives_(list_alternatives(rules.excludes)),
        keep_alternatives_(list_alternatives(rules.keeps)) {}

  /// The reason a routed name is excluded (and the deciding rule in `e`), if it is.
  std::optional<std::string> filtered_out(const std::string& name, plan_entry& e) {
    std::optional<std::string> why;
    exclude_index_.for_each(name, rules_.excludes.size(), [&](std::size_t i) {
      if (!rules_.excludes[i].pat.match(name)) return false;
      ++exclude_hits_[i];
      exclude_alternatives_.note(i, rules_.excludes[i].pat, name);
      e.rule = "exclude \"" + rules_.excludes[i].pat.text() + "\"";
      e.rule_where = rules_.excludes[i].where;
      why = "excluded by " + e.rule;
      return true;
    });
    if (why) return why;
    if (rules_.includes.empty()) return std::nullopt;
    bool included = false;
    include_index_.for_each(name, rules_.includes.size(), [&](std::size_t i) {
      if (!rules_.includes[i].pat.match(name)) return false;
      ++include_hits_[i];
      include_alternatives_.note(i, rules_.includes[i].pat, name);
      included = true;
      return true;
    });
    if (included) return std::nullopt;
    return "matches no include pattern";
  }

  /// The keep pattern acknowledging an unfilled destination, if any.
  const rules::located_pattern* kept_by(const std::string& name) {
    const rules::located_pattern* found = nullptr;
    keep_index_.for_each(name, rules_.keeps.size(), [&](std::size_t i) {
      if (rules_.keeps[i].pat.match(name)) {
        ++keep_hits_[i];
        ++keep_matches_[i];
        keep_alternatives_.note(i, rules_.keeps[i].pat, name);
        if (!found) found = &rules_.keeps[i];
      }
      return false;
    });
    return found;
  }

  /// Counts keep patterns matching a destination that a source fills (keep does not override sources).
  void count_keep_matches(const std::string& name) {
    keep_index_.for_each(name, rules_.keeps.size(), [&](std::size_t i) {
      if (!rules_.keeps[i].pat.match(name)) return false;
      ++keep_matches_[i];
      keep_alternatives_.note(i, rules_.keeps[i].pat, name);
      return false;
    });
  }

  /// Names include pattern `i` let through.
  std::size_t include_hits(std::size_t i) const { return include_hits_[i]; }
  /// Names exclude pattern `i` dropped.
  std::size_t exclude_hits(std::size_t i) const { return exclude_hits_[i]; }
  /// Unfilled destinations keep pattern `i` acknowledged.
  std::size_t keep_hits(std::size_t i) const { return keep_hits_[i]; }
  /// Destinations keep pattern `i` matches, filled or not.
  std::size_t keep_matches(std::size_t i) const { return keep_matches_[i]; }
  /// The `{a,b}` alternatives of the include patterns that let a name through.
  const detail::alternative_hits& include_alternatives() const { return include_alternatives_; }
  /// The `{a,b}` alternatives of the exclude patterns that dropped a name.
  const detail::alternative_hits& exclude_alternatives() const { return exclude_alternatives_; }
  /// The `{a,b}` alternatives of the keep patterns that matched a destination.
  const detail::alternative_hits& keep_alternatives() const { return keep_alternatives_; }

private:
  const rules::ruleset& rules_;
  detail::rule_index include_index_, exclude_index_, keep_index_;
  std::vector<std::size_t> include_hits_, exclude_hits_, keep_hits_, keep_matches_;
  detail::alternative_hits include_alternatives_, exclude_alternatives_, keep_alternatives_;

  static detail::alternative_hits list_alternatives(const std::vector<rules::located_pattern>& list) {
    return detail::alternative_hits(list.size(), [&](std::size_t i) -> const rules::pattern& { return list[i].pat; });
  }
};

}  // namespace graft
