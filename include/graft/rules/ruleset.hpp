#pragma once
/// \file
/// A validated rule set: what the files say, with joints, maps, patterns and layouts resolved.

#include <graft/plan/shape_steps.hpp>
#include <graft/rules/joints.hpp>
#include <graft/rules/layout.hpp>
#include <graft/rules/name_template.hpp>
#include <graft/rules/pattern.hpp>
#include <graft/source.hpp>
#include <graft/vocabulary.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace graft::rules {

using graft::category;
using graft::category_name;
using graft::plan_mode;
using graft::shape_step;

/// A `strip` or `rename` rule.
struct name_rule {
  enum class kind { strip, rename };
  kind what = kind::rename;
  std::string prefix;     ///< strip: the literal prefix removed
  pattern from;           ///< rename: what it matches
  name_template to;       ///< rename: what it writes
  source_location where;  ///< the statement

  /// The rule as written.
  std::string text() const {
    return what == kind::strip ? "strip \"" + prefix + "\"" : "rename \"" + from.text() + "\" -> \"" + to.text() + "\"";
  }
};

/// One pattern of an include/exclude/keep/expect list, with its place.
struct located_pattern {
  pattern pat;
  source_location where;
};

/// A `reshape` rule: per-dimension layouts, or literal shape steps.
struct reshape_rule {
  pattern pat;
  std::vector<dim_layout> layouts;
  std::vector<shape_step> steps;
  source_location where;

  /// `reshape "pattern"`.
  std::string text() const { return "reshape \"" + pat.text() + "\""; }
};

/// An `expect CATEGORY "pattern"` line.
struct expectation {
  category expected = category::copied;
  pattern pat;
  source_location where;
};

/// A place where a rule uses a label map: a layout segment (`coco -> crowdpose`) or a rename template
/// that writes `<set>`. Strict plans check the maps used (every label without a source acknowledged).
struct map_use {
  std::shared_ptr<const joint_mapping> map;
  source_location where;
};

/// An `expect labels "pattern" dim D = A -> B { ... }` line: in dimension D of every matching
/// destination tensor, each B label's rows come from the A labels `expected` says (the same-named one
/// unless listed; none for `keep`).
struct label_expectation {
  pattern pat;
  source_location where;                          ///< the pattern
  std::int64_t dim = 0;                           ///< the dimension
  std::shared_ptr<const joint_mapping> expected;  ///< where each B label's rows should come from
  source_location statement;                      ///< the `expect` word
};

/// Everything a set of rules files says, validated and ready to plan with.
struct ruleset {
  std::vector<std::string> files;                          ///< files loaded, imports first
  std::vector<joint_set> joint_sets;                       ///< all joint sets
  std::vector<std::shared_ptr<const joint_mapping>> maps;  ///< declared maps and implicit same-name maps
  std::vector<name_rule> renames;                          ///< strip/rename, in order
  std::vector<located_pattern> includes;                   ///< include patterns
  std::vector<located_pattern> excludes;                   ///< exclude patterns
  std::vector<located_pattern> keeps;                      ///< keep patterns
  std::vector<reshape_rule> reshapes;                      ///< reshape rules
  std::vector<expectation> expects;                        ///< expect lines
  std::vector<label_expectation> label_expects;            ///< expect labels lines (one per pattern)
  std::vector<map_use> map_uses;                           ///< where rules use maps, in file order
  std::optional<plan_mode> mode;                           ///< `mode` if any file said it

  /// A joint set by name.
  const joint_set* find_set(std::string_view name) const {
    for (const auto& s : joint_sets)
      if (s.name == name) return &s;
    return nullptr;
  }
  /// The map from one set to another (declared or implicit), if loaded.
  std::shared_ptr<const joint_mapping> find_map(std::string_view from, std::string_view to) const {
    for (const auto& m : maps)
      if (m->from == from && m->to == to) return m;
    return nullptr;
  }
};

}  // namespace graft::rules
