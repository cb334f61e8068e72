#pragma once
/// \file
/// make_plan(): compiles a ruleset against source and destination name/shape sets. Torch-free. The
/// stages: names through the strip/rename rules (route.hpp), the include/exclude/keep lists
/// (filters.hpp), pairs and their reshape rules (pair.hpp), per-joint synthesis (here), policy checks
/// (policy.hpp, label_policy.hpp).

#include <graft/error.hpp>
#include <graft/plan/detail/label_policy.hpp>
#include <graft/plan/detail/pair.hpp>
#include <graft/plan/detail/policy.hpp>
#include <graft/plan/filters.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/route.hpp>
#include <graft/rules/ruleset.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace graft {

namespace detail {

/// One planning run: make_plan() in stages.
class planner {
public:
  planner(const rules::ruleset& rules, const tensor_set& source, const tensor_set& destination,
          const plan_options& options)
      : rules_(rules),
        options_(options),
        names_(rules),
        lists_(rules),
        pairs_(rules, out_.source, out_.destination, out_.problems) {
    out_.source = source;
    out_.destination = destination;
    out_.rules_files = rules.files;
    out_.lenient = options.lenient || (rules.mode && *rules.mode == plan_mode::lenient);
  }

  plan run() {
    const auto& src = out_.source;
    const auto& dst = out_.destination;
    dst_index_.reserve(dst.size());
    out_.entries.reserve(dst.size() + src.size());
    for (std::size_t d = 0; d < dst.size(); ++d) {
      if (!dst_index_.emplace(dst[d].name, d).second) error("destination lists tensor '" + dst[d].name + "' twice");
    }
    std::unordered_map<std::string_view, std::size_t> seen_source;
    seen_source.reserve(src.size());
    for (std::size_t s = 0; s < src.size(); ++s)
      if (!seen_source.emplace(src[s].name, s).second) error("source lists tensor '" + src[s].name + "' twice");

    // 1. Route every source name; pair it with a destination or set it aside.
    std::vector<routed_name> routes(src.size());
    std::vector<std::optional<std::size_t>> claimed(dst.size());
    std::vector<plan_entry> source_only;
    for (std::size_t s = 0; s < src.size(); ++s) {
      routes[s] = names_.route(src[s].name);
      const routed_name& r = routes[s];
      plan_entry e;  // used only for source-only outcomes (pairs get theirs in step 3)
      e.source = s;
      if (r.dropped) {
        e.renames = r.steps;
        e.what = category::excluded;
        e.note = *r.dropped;
        e.rule = r.steps.back().rule;
        e.rule_where = r.steps.back().where;
        source_only.push_back(std::move(e));
        continue;
      }
      if (auto why = lists_.filtered_out(r.name, e)) {
        e.renames = r.steps;
        e.what = category::excluded;
        e.note = *why;
        source_only.push_back(std::move(e));
        continue;
      }
      auto it = dst_index_.find(r.name);
      if (it == dst_index_.end()) {
        e.renames = r.steps;
        e.what = category::unused;
        e.note = r.name == src[s].name ? "no destination tensor has this name"
                                       : "no destination tensor named '" + r.name + "'";
        source_only.push_back(std::move(e));
        continue;
      }
      const std::size_t d = it->second;
      if (claimed[d]) {
        e.renames = r.steps;
        e.what = category::conflict;
        e.destination = d;
        e.note = "'" + src[s].name + "' and '" + src[*claimed[d]].name + "' both land on '" + r.name + "'";
        out_.problems.push_back({plan_problem::severity::error,
                                 "two source tensors land on '" + r.name + "': '" + src[*claimed[d]].name + "'" +
                                     routes[*claimed[d]].via() + " and '" + src[s].name + "'" + r.via(),
                                 plan_problem::subject::tensor, r.name});
        e.destination.reset();
        source_only.push_back(std::move(e));
        continue;
      }
      claimed[d] = s;
    }

    // 2. Per-joint synthesis (`neck = mean(a, b)` over per-joint modules).
    std::map<std::size_t, std::vector<std::size_t>> synthesized = synthesize(routes, claimed);

    // 3. Every destination, in order.
    for (std::size_t d = 0; d < dst.size(); ++d) {
      if (claimed[d]) {
        lists_.count_keep_matches(dst[d].name);
        out_.entries.push_back(pairs_.pair(*claimed[d], d, routes[*claimed[d]]));  // moves the route's steps
      } else if (auto it = synthesized.find(d); it != synthesized.end()) {
        lists_.count_keep_matches(dst[d].name);
        out_.entries.push_back(synthesis(it->second, d));
      } else if (const rules::located_pattern* keep = lists_.kept_by(dst[d].name)) {
        plan_entry e;
        e.what = category::kept;
        e.destination = d;
        e.rule = "keep \"" + keep->pat.text() + "\"";
        e.rule_where = keep->where;
        out_.entries.push_back(std::move(e));
      } else {
        plan_entry e;
        e.what = category::kept;
        e.destination = d;
        e.note = "no source tensor fills it";
        uncovered_.push_back(d);
        out_.entries.push_back(std::move(e));
      }
    }
    std::stable_sort(source_only.begin(), source_only.end(),
                     [](const plan_entry& a, const plan_entry& b) { return *a.source < *b.source; });
    for (auto& e : source_only) out_.entries.push_back(std::move(e));

    report_strictness(out_, uncovered_);
    report_collapsing_renames(out_, rules_);
    report_unused_rules(out_, rules_, options_, names_, lists_, pairs_);
    check_label_maps(out_, rules_);
    check_expectations(out_, rules_, options_);
    check_label_expectations(out_, rules_, options_);
    const bool summary = check_moves_something(out_, rules_, lists_);
    // Causes before their effects: the plan as a whole, then rules, then single tensors. "Nothing is
    // copied" counts as the plan's cause unless a rule's error explains it: then it follows the rules.
    std::optional<plan_problem> effect;
    const auto rule_error = [](const plan_problem& x) {
      return x.about == plan_problem::subject::rule && x.level == plan_problem::severity::error;
    };
    if (summary && std::any_of(out_.problems.begin(), out_.problems.end(), rule_error)) {
      effect = std::move(out_.problems.back());
      out_.problems.pop_back();
    }
    std::stable_sort(out_.problems.begin(), out_.problems.end(),
                     [](const plan_problem& a, const plan_problem& b) { return a.about < b.about; });
    if (effect) {
      const auto after = std::find_if(out_.problems.begin(), out_.problems.end(),
                                      [](const plan_problem& x) { return x.about == plan_problem::subject::tensor; });
      out_.problems.insert(after, std::move(*effect));
    }
    return std::move(out_);
  }

private:
  void error(std::string message) { out_.problems.push_back({plan_problem::severity::error, std::move(message)}); }

  /// Destinations built as the mean of whole per-joint source tensors, keyed by destination index.
  std::map<std::size_t, std::vector<std::size_t>> synthesize(const std::vector<routed_name>& routes,
                                                             const std::vector<std::optional<std::size_t>>& claimed) {
    std::map<std::size_t, std::vector<std::size_t>> out;
    // rule → sibling key → joint index → source tensor
    std::map<std::size_t, std::map<std::string, std::map<std::size_t, std::size_t>>> siblings;
    for (std::size_t s = 0; s < routes.size(); ++s)
      if (routes[s].joint_rule) siblings[*routes[s].joint_rule][routes[s].joint_key][routes[s].joint_index] = s;
    for (const auto& [rule_index, groups] : siblings) {
      const rules::name_rule& rule = rules_.renames[rule_index];
      const auto sets = rule.from.joint_sets();
      for (const auto& [key, members] : groups) {
        const routed_name& example = routes[members.begin()->second];
        for (const auto& map : rules_.maps) {
          if (map->from != sets.at(0)) continue;
          for (std::size_t j = 0; j < map->targets.size(); ++j) {
            const auto& target = map->targets[j];
            if (target.how != rules::joint_source::kind::mean && target.how != rules::joint_source::kind::mean_of_all)
              continue;
            const auto wanted = map->sources_of(j);
            std::vector<std::size_t> sources;
            for (auto joint : wanted) {
              auto it = members.find(joint);
              if (it == members.end()) break;
              sources.push_back(it->second);
            }
            if (sources.size() != wanted.size()) continue;
            auto name = detail::expand_name(
                rule, example.joint_captures,
                [&](const std::string& from, std::size_t, const std::string& to) -> std::optional<std::size_t> {
                  if (from == map->from && to == map->to) return j;
                  return std::nullopt;
                });
            if (!name) continue;
            const routed_name rest = names_.route(*name, rule_index + 1, false);
            auto it = dst_index_.find(rest.name);
            if (it == dst_index_.end() || claimed[it->second]) continue;
            out[it->second] = sources;
          }
        }
      }
    }
    return out;
  }

  plan_entry synthesis(const std::vector<std::size_t>& sources, std::size_t d) {
    plan_entry e;
    e.what = category::synthesized;
    e.destination = d;
    e.mean_of = sources;
    std::string names;
    for (auto s : sources) names += (names.empty() ? "" : ", ") + out_.source[s].name;
    e.note = "mean(" + names + ")";
    for (auto s : sources) {
      const tensor_meta& a = out_.source[s];
      const tensor_meta& b = out_.destination[d];
      if (a.shape != b.shape || !safe_cast(a.type, b.type)) {
        e.what = category::conflict;
        e.note = "cannot synthesize '" + b.name + "' " + describe(b) + " from '" + a.name + "' " + describe(a);
        error(e.note);
        break;
      }
      if (a.type != b.type) e.cast = true;
    }
    return e;
  }

  const rules::ruleset& rules_;
  plan_options options_;
  plan out_;
  router names_;
  filters lists_;
  pairer pairs_;
  std::unordered_map<std::string, std::size_t> dst_index_;
  std::vector<std::size_t> uncovered_;
};

}  // namespace detail

/// Plans moving `source` tensors into `destination` under `rules`. Never throws for policy
/// findings: they are plan::problems (errors make plan::ok() false).
inline plan make_plan(const rules::ruleset& rules, const tensor_set& source, const tensor_set& destination,
                      const plan_options& options = {}) {
  return detail::planner(rules, source, destination, options).run();
}

}  // namespace graft
