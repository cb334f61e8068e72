#pragma once
/// \file
/// router: a source name through the strip/rename rules, step by step (the planner's first stage;
/// graft::explain traces it).

#include <graft/error.hpp>
#include <graft/plan/detail/alternatives.hpp>
#include <graft/plan/detail/rule_index.hpp>
#include <graft/plan/plan.hpp>
#include <graft/rules/ruleset.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace graft {

namespace detail {
/// `rule`'s template expanded with `caps` (name_template::expand). Throws graft::rules_error at the
/// rule, before building it, when the name would be longer than rules::max_name_bytes.
inline std::optional<std::string> expand_name(const rules::name_rule& rule, const std::vector<rules::capture>& caps,
                                              const rules::joint_translator& translate) {
  const std::size_t size = rule.to.expanded_size_bound(caps);
  if (size > rules::max_name_bytes)
    throw rules_error(rule.where, rule.text() + " would make a name of " + std::to_string(size) +
                                      " bytes, longer than a rename may make (at most " +
                                      std::to_string(rules::max_name_bytes) + "; do the renames repeat a capture?)");
  return rule.to.expand(caps, translate);
}
}  // namespace detail

/// Where a source name ended up after the strip/rename rules.
struct routed_name {
  std::string name;                    ///< the final (destination-side) name
  std::vector<rename_step> steps;      ///< each rewrite
  std::optional<std::string> dropped;  ///< why the tensor was dropped by a joint rename
  bool via_renamed_joint = false;      ///< landed through a `head = nose` map entry
  // For per-joint synthesis: the joint rename rule that matched, the name it saw with the joint
  // digits replaced (identifies siblings), and the joint index.
  std::optional<std::size_t> joint_rule;  ///< the joint rename rule that matched
  std::string joint_key;                  ///< the name it saw, joint digits replaced by "<>"
  std::size_t joint_index = 0;            ///< the joint it captured
  std::vector<rules::capture> joint_captures;

  /// " (via RULE at FILE:LINE:COL)" for the last rewrite, or "".
  std::string via() const {
    if (steps.empty()) return {};
    return " (via " + steps.back().rule + " at " + steps.back().where.str() + ")";
  }
};

/// Runs names through a ruleset's strip/rename rules and counts which rules matched.
class router {
public:
  /// A router over `rules.renames` (kept by reference).
  explicit router(const rules::ruleset& rules)
      : rules_(rules),
        index_(rules.renames.size(),
               [&](std::size_t i) -> std::optional<std::string_view> {
                 const rules::name_rule& r = rules.renames[i];
                 if (r.what == rules::name_rule::kind::rename) return r.from.first_segment();
                 // strip "a.b." applies to names longer than its prefix that start with it
                 const std::size_t dot = r.prefix.find('.');
                 if (dot == std::string::npos) return std::nullopt;
                 return std::string_view(r.prefix).substr(0, dot);
               }),
        hits_(rules.renames.size(), 0),
        alternatives_(rules.renames.size(),
                      [&](std::size_t i) -> const rules::pattern& { return rules.renames[i].from; }) {}

  /// The strip/rename pipeline for one name, from rule `first` on.
  routed_name route(const std::string& original, std::size_t first = 0, bool count_hits = true,
                    std::vector<std::string>* trace = nullptr) {
    auto note = [&](const rules::name_rule& rule, const std::string& what) {
      if (trace) trace->push_back(rule.text() + " (" + rule.where.str() + "): " + what);
    };
    routed_name r;
    r.name = original;
    const std::size_t count = rules_.renames.size();
    // Without a trace, only the rules that may match the current name are visited (the others
    // would only add "no match" notes); the name changes after each rewrite, so look again each time.
    for (std::size_t i = trace ? first : index_.next(r.name, first, count); i < count;
         i = trace ? i + 1 : index_.next(r.name, i + 1, count)) {
      const rules::name_rule& rule = rules_.renames[i];
      if (rule.what == rules::name_rule::kind::strip) {
        if (r.name.size() > rule.prefix.size() && r.name.compare(0, rule.prefix.size(), rule.prefix) == 0) {
          if (count_hits) ++hits_[i];
          std::string after = r.name.substr(rule.prefix.size());
          r.steps.push_back({rule.text(), rule.where, r.name, after});
          if (trace) note(rule, "'" + r.name + "' -> '" + after + "'");
          r.name = std::move(after);
        } else if (trace) {
          note(rule, "no match");
        }
        continue;
      }
      std::vector<rules::capture> caps;
      if (!rule.from.match(r.name, &caps)) {
        if (trace) note(rule, "no match");
        continue;
      }
      if (count_hits) {
        ++hits_[i];
        alternatives_.note(i, rule.from, r.name);
      }
      const rules::capture* joint = nullptr;
      for (const auto& c : caps)
        if (c.joint_index) joint = &c;
      bool via_renamed = false;
      std::string lost;
      auto translate = [&](const std::string& from, std::size_t index,
                           const std::string& to) -> std::optional<std::size_t> {
        auto map = rules_.find_map(from, to);
        if (!map) return std::nullopt;
        auto j = map->destination_of(index);
        if (!j) {
          lost = rules::label_word(map->from_kind, false) + " '" + map->from_joints[index] + "' of " + from +
                 " has no counterpart in " + to;
          return std::nullopt;
        }
        if (map->targets[*j].how == rules::joint_source::kind::renamed) via_renamed = true;
        return j;
      };
      if (joint && rule.to.writes_joint()) {
        r.joint_rule = i;
        r.joint_index = *joint->joint_index;
        r.joint_key = r.name.substr(0, joint->position) + "<>" + r.name.substr(joint->position + joint->text.size());
        r.joint_captures = caps;
      }
      auto after = detail::expand_name(rule, caps, translate);
      if (!after || after->empty()) {
        r.dropped = (after          ? "renamed to an empty name"
                     : lost.empty() ? "no joint counterpart"
                                    : lost) +
                    std::string(" by ") + rule.text() + " (" + rule.where.str() + ")";
        r.steps.push_back({rule.text(), rule.where, r.name, ""});
        if (trace) note(rule, "matches '" + r.name + "', dropped: " + *r.dropped);
        return r;
      }
      if (trace) note(rule, "'" + r.name + "' -> '" + *after + "'");
      r.via_renamed_joint = r.via_renamed_joint || via_renamed;
      r.steps.push_back({rule.text(), rule.where, r.name, *after});
      r.name = std::move(*after);
    }
    return r;
  }

  /// How many names rename rule `i` rewrote (counted routes only).
  std::size_t hits(std::size_t i) const { return hits_[i]; }
  /// The `{a,b}` alternatives of the rename patterns that counted routes took.
  const detail::alternative_hits& alternatives() const { return alternatives_; }

private:
  const rules::ruleset& rules_;
  detail::rule_index index_;
  std::vector<std::size_t> hits_;
  detail::alternative_hits alternatives_;
};

}  // namespace graft
