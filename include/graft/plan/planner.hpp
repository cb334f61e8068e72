#pragma once
/// \file
/// make_plan(): compiles a ruleset against source and destination name/shape sets. Torch-free.

#include <graft/error.hpp>
#include <graft/plan/plan.hpp>
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

/// Where a source name ended up after the strip/rename rules.
struct routed_name {
  std::string name;                    ///< the final (destination-side) name
  std::vector<rename_step> steps;      ///< each rewrite
  std::optional<std::string> dropped;  ///< why the tensor was dropped by a joint rename
  bool via_renamed_joint = false;      ///< landed through a `head = nose` map entry
  // For per-joint synthesis: the joint rename rule that matched, the name it saw with the joint
  // digits replaced (identifies siblings), and the joint index.
  std::optional<std::size_t> joint_rule;
  std::string joint_key;
  std::size_t joint_index = 0;
  std::vector<rules::capture> joint_captures;
};

/// "[a, b] (float32)".
inline std::string describe(const tensor_meta& t) { return shape_str(t.shape) + " " + std::string(dtype_name(t.type)); }

/// True when casting `from` → `to` cannot lose integer values or truncate floats to integers.
inline bool safe_cast(dtype from, dtype to) {
  if (from == to || dtype_is_floating(to)) return true;
  if (to == dtype::bool_) return false;
  if (dtype_is_floating(from)) return false;
  if (from == dtype::bool_) return true;
  const bool from_unsigned = from == dtype::uint8;
  const bool to_unsigned = to == dtype::uint8;
  if (to_unsigned) return false;  // from is a different integer type: signed values may be negative
  return from_unsigned ? dtype_size(to) > dtype_size(from) : dtype_size(to) >= dtype_size(from);
}

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

class planner {
public:
  planner(const rules::ruleset& rules, const tensor_set& source, const tensor_set& destination,
          const plan_options& options)
      : rules_(rules),
        options_(options),
        rename_index_(rules.renames.size(),
                      [&](std::size_t i) -> std::optional<std::string_view> {
                        const rules::name_rule& r = rules.renames[i];
                        if (r.what == rules::name_rule::kind::rename) return r.from.first_segment();
                        // strip "a.b." applies to names longer than its prefix that start with it
                        const std::size_t dot = r.prefix.find('.');
                        if (dot == std::string::npos) return std::nullopt;
                        return std::string_view(r.prefix).substr(0, dot);
                      }),
        include_index_(pattern_index(rules.includes)),
        exclude_index_(pattern_index(rules.excludes)),
        keep_index_(pattern_index(rules.keeps)),
        reshape_index_(pattern_index(rules.reshapes)) {
    out_.source = source;
    out_.destination = destination;
    out_.rules_files = rules.files;
    out_.lenient = options.lenient || (rules.mode && *rules.mode == rules::plan_mode::lenient);
    rename_hits_.assign(rules.renames.size(), 0);
    include_hits_.assign(rules.includes.size(), 0);
    exclude_hits_.assign(rules.excludes.size(), 0);
    keep_hits_.assign(rules.keeps.size(), 0);
    keep_matches_.assign(rules.keeps.size(), 0);
    reshape_hits_.assign(rules.reshapes.size(), 0);
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
      routes[s] = route(src[s].name);
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
      if (auto why = filtered_out(r.name, e)) {
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
        error("two source tensors land on '" + r.name + "': '" + src[*claimed[d]].name + "'" +
              via(routes[*claimed[d]]) + " and '" + src[s].name + "'" + via(r));
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
        count_keep_matches(dst[d].name);
        out_.entries.push_back(pair(*claimed[d], d, routes[*claimed[d]]));  // moves the route's steps
      } else if (auto it = synthesized.find(d); it != synthesized.end()) {
        count_keep_matches(dst[d].name);
        out_.entries.push_back(synthesis(it->second, d));
      } else if (const rules::located_pattern* keep = kept_by(dst[d].name)) {
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

    report_strictness();
    report_unused_rules();
    check_expectations();
    return std::move(out_);
  }

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
    for (std::size_t i = trace ? first : rename_index_.next(r.name, first, count); i < count;
         i = trace ? i + 1 : rename_index_.next(r.name, i + 1, count)) {
      const rules::name_rule& rule = rules_.renames[i];
      if (rule.what == rules::name_rule::kind::strip) {
        if (r.name.size() > rule.prefix.size() && r.name.compare(0, rule.prefix.size(), rule.prefix) == 0) {
          if (count_hits) ++rename_hits_[i];
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
      if (count_hits) ++rename_hits_[i];
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
          lost = "joint '" + map->from_joints[index] + "' of " + from + " has no counterpart in " + to;
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
      auto after = rule.to.expand(caps, translate);
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

  /// The reason a routed name is excluded (and the deciding rule in `e`), if it is.
  std::optional<std::string> filtered_out(const std::string& name, plan_entry& e) {
    std::optional<std::string> why;
    exclude_index_.for_each(name, rules_.excludes.size(), [&](std::size_t i) {
      if (!rules_.excludes[i].pat.match(name)) return false;
      ++exclude_hits_[i];
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
        if (!found) found = &rules_.keeps[i];
      }
      return false;
    });
    return found;
  }

  /// Counts keep patterns matching a destination that a source fills (keep does not override sources).
  void count_keep_matches(const std::string& name) {
    keep_index_.for_each(name, rules_.keeps.size(), [&](std::size_t i) {
      if (rules_.keeps[i].pat.match(name)) ++keep_matches_[i];
      return false;
    });
  }

private:
  void error(std::string message) { out_.problems.push_back({plan_problem::severity::error, std::move(message)}); }
  void warning(std::string message) { out_.problems.push_back({plan_problem::severity::warning, std::move(message)}); }

  static std::string via(const routed_name& r) {
    if (r.steps.empty()) return {};
    return " (via " + r.steps.back().rule + " at " + r.steps.back().where.str() + ")";
  }

  /// The entry for a source/destination pair: copied, mapped or conflict.
  plan_entry pair(std::size_t s, std::size_t d, routed_name& route) {
    const tensor_meta& a = out_.source[s];
    const tensor_meta& b = out_.destination[d];
    plan_entry e;
    e.source = s;
    e.destination = d;
    e.renames = std::move(route.steps);  // each route pairs at most once; nothing reads it afterwards
    e.what = category::copied;
    // Built only when needed (conflicts and layouts): most pairs are plain copies.
    auto context = [&] { return "'" + b.name + "' " + shape_str(a.shape) + " -> " + shape_str(b.shape); };
    auto conflict = [&](const std::string& why) {
      e.what = category::conflict;
      e.note = why;
      error((e.rule_where.known() ? e.rule_where.str() + ": " : std::string()) + "conflict on " + context() + ": " +
            why);
    };

    // At most one reshape rule per tensor.
    const rules::reshape_rule* reshape = nullptr;
    bool two_reshapes = false;
    reshape_index_.for_each(b.name, rules_.reshapes.size(), [&](std::size_t i) {
      const auto& r = rules_.reshapes[i];
      if (!r.pat.match(b.name)) return false;
      ++reshape_hits_[i];
      if (reshape) {
        e.rule = reshape->text();
        e.rule_where = reshape->where;
        conflict("two reshape rules match it: " + reshape->text() + " at " + reshape->where.str() + " and " + r.text() +
                 " at " + r.where.str());
        two_reshapes = true;
        return true;
      }
      reshape = &r;
      return false;
    });
    if (two_reshapes) return e;

    if (!safe_cast(a.type, b.type)) {
      conflict("casting " + std::string(dtype_name(a.type)) + " to " + std::string(dtype_name(b.type)) +
               " could lose values; graft refuses lossy casts");
      return e;
    }
    if (a.type != b.type) {
      e.cast = true;
      e.note = "cast " + std::string(dtype_name(a.type)) + " -> " + std::string(dtype_name(b.type));
    }

    if (!reshape) {
      if (a.shape != b.shape) {
        conflict("shapes differ and no reshape rule matches");
      } else if (route.via_renamed_joint) {
        e.what = category::synthesized;
        e.mean_of = {s};
        e.source.reset();
        e.note = join_note("copied from another joint's module", e.note);
      }
      return e;
    }

    e.rule = reshape->text();
    e.rule_where = reshape->where;
    e.what = category::mapped;
    if (!reshape->layouts.empty()) {
      if (a.shape.size() != b.shape.size()) {
        conflict("a channel layout needs tensors of equal rank, got " + std::to_string(a.shape.size()) + " and " +
                 std::to_string(b.shape.size()));
        return e;
      }
      std::vector<bool> laid(a.shape.size(), false);
      std::string summaries;
      for (const auto& layout : reshape->layouts) {
        if (layout.dim >= static_cast<std::int64_t>(a.shape.size())) {
          conflict(layout.where.str() + ": dim " + std::to_string(layout.dim) +
                   " is out of range for a tensor of rank " + std::to_string(a.shape.size()));
          return e;
        }
        try {
          const auto dim = static_cast<std::size_t>(layout.dim);
          laid[dim] = true;
          e.selections.push_back(rules::resolve_layout(layout, a.shape[dim], b.shape[dim], context()));
          const auto& joint_notes = e.selections.back().joint_summaries;
          if (!joint_notes.empty()) {
            const bool same = std::all_of(joint_notes.begin(), joint_notes.end(),
                                          [&](const std::string& n) { return n == joint_notes[0]; });
            std::string text;
            if (same && joint_notes.size() > 1) {
              text = std::to_string(joint_notes.size()) + " x (" + joint_notes[0] + ")";
            } else {
              for (const auto& n : joint_notes) text += (text.empty() ? "" : " | ") + n;
            }
            summaries += (summaries.empty() ? "" : "; ") + ("dim " + std::to_string(layout.dim) + ": " + text);
          }
        } catch (const rules_error& err) {
          e.what = category::conflict;
          e.note = err.message();
          error(err.headline());
          return e;
        }
      }
      for (std::size_t i = 0; i < a.shape.size(); ++i) {
        if (!laid[i] && a.shape[i] != b.shape[i]) {
          conflict("dim " + std::to_string(i) + " differs (" + std::to_string(a.shape[i]) + " vs " +
                   std::to_string(b.shape[i]) + ") and " + reshape->text() + " gives it no layout");
          return e;
        }
      }
      e.note = join_note(summaries.empty() ? "channels selected" : summaries, e.note);
      return e;
    }

    // Literal reshape steps.
    shape_t shape = a.shape;
    for (const auto& step : reshape->steps) {
      auto fail = [&](const std::string& why) { conflict(step.where.str() + ": " + step.text() + ": " + why); };
      const auto rank = static_cast<std::int64_t>(shape.size());
      auto norm = [&](std::int64_t dim, std::int64_t r) { return dim < 0 ? dim + r : dim; };
      using k = dsl::ast::shape_op_kind;
      switch (step.what) {
        case k::view:
          if (numel(shape) != numel(b.shape)) {
            fail("cannot view " + shape_str(shape) + " (" + std::to_string(numel(shape)) + " elements) as " +
                 shape_str(b.shape) + " (" + std::to_string(numel(b.shape)) + ")");
            return e;
          }
          shape = b.shape;
          break;
        case k::permute: {
          if (static_cast<std::int64_t>(step.args.size()) != rank) {
            fail("the tensor has rank " + std::to_string(rank));
            return e;
          }
          shape_t next;
          for (auto i : step.args) next.push_back(shape[static_cast<std::size_t>(i)]);
          shape = next;
          break;
        }
        case k::transpose: {
          const auto x = norm(step.args[0], rank), y = norm(step.args[1], rank);
          if (x < 0 || y < 0 || x >= rank || y >= rank) {
            fail("dimension out of range for rank " + std::to_string(rank));
            return e;
          }
          std::swap(shape[static_cast<std::size_t>(x)], shape[static_cast<std::size_t>(y)]);
          break;
        }
        case k::squeeze: {
          const auto x = norm(step.args[0], rank);
          if (x < 0 || x >= rank || shape[static_cast<std::size_t>(x)] != 1) {
            fail("dim " + std::to_string(step.args[0]) + " of " + shape_str(shape) + " is not of size 1");
            return e;
          }
          shape.erase(shape.begin() + x);
          break;
        }
        case k::unsqueeze: {
          const auto x = norm(step.args[0], rank + 1);
          if (x < 0 || x > rank) {
            fail("dimension out of range for rank " + std::to_string(rank));
            return e;
          }
          shape.insert(shape.begin() + x, 1);
          break;
        }
      }
      e.steps.push_back(step);
    }
    if (shape != b.shape) {
      conflict(reshape->text() + " turns " + shape_str(a.shape) + " into " + shape_str(shape) + ", not " +
               shape_str(b.shape));
      return e;
    }
    std::string ops;
    for (const auto& st : e.steps) ops += (ops.empty() ? "" : ", ") + st.text();
    e.note = join_note(ops, e.note);
    return e;
  }

  static std::string join_note(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + "; " + b;
  }

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
            if (target.how != rules::joint_source::kind::mean) continue;
            std::vector<std::size_t> sources;
            for (auto joint : target.sources) {
              auto it = members.find(joint);
              if (it == members.end()) break;
              sources.push_back(it->second);
            }
            if (sources.size() != target.sources.size()) continue;
            auto name = rule.to.expand(
                example.joint_captures,
                [&](const std::string& from, std::size_t, const std::string& to) -> std::optional<std::size_t> {
                  if (from == map->from && to == map->to) return j;
                  return std::nullopt;
                });
            if (!name) continue;
            const routed_name rest = route(*name, rule_index + 1, false);
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

  void report_strictness() {
    const auto level = out_.lenient ? plan_problem::severity::warning : plan_problem::severity::error;
    std::vector<std::string> uncovered_names;
    for (auto d : uncovered_) uncovered_names.push_back(out_.destination[d].name);
    std::vector<std::string> unused_names;
    for (const auto& e : out_.entries)
      if (e.what == category::unused) unused_names.push_back(out_.source[*e.source].name);
    const bool suggest = unused_names.size() * uncovered_names.size() <= 4'000'000;
    for (const auto& e : out_.entries) {
      if (e.what != category::unused) continue;
      const std::string& name = out_.source[*e.source].name;
      const std::string& routed = e.renames.empty() ? name : e.renames.back().after;
      out_.problems.push_back({level, "unused source tensor '" + name + "'" +
                                          (routed != name ? " (renamed to '" + routed + "')" : std::string()) +
                                          (suggest ? rules::did_you_mean(routed, uncovered_names) : std::string()) +
                                          (out_.lenient ? "" : " (exclude it, or plan with --lenient)")});
    }
    for (auto d : uncovered_) {
      const std::string& name = out_.destination[d].name;
      out_.problems.push_back({level, "destination tensor '" + name + "' " + describe(out_.destination[d]) +
                                          " gets no source" +
                                          (suggest ? rules::did_you_mean(name, unused_names) : std::string()) +
                                          (out_.lenient ? "" : " (keep it, or plan with --lenient)")});
    }
  }

  void report_unused_rules() {
    const auto level = options_.strict_rules ? plan_problem::severity::error : plan_problem::severity::warning;
    auto report = [&](const source_location& where, const std::string& text) {
      out_.problems.push_back({level, where.str() + ": " + text + " matches no tensor"});
    };
    for (std::size_t i = 0; i < rules_.renames.size(); ++i)  // strip is optional: wrappers vary by checkpoint
      if (!rename_hits_[i] && rules_.renames[i].what == rules::name_rule::kind::rename)
        report(rules_.renames[i].where, rules_.renames[i].text());
    for (std::size_t i = 0; i < rules_.includes.size(); ++i)
      if (!include_hits_[i]) report(rules_.includes[i].where, "include \"" + rules_.includes[i].pat.text() + "\"");
    for (std::size_t i = 0; i < rules_.excludes.size(); ++i)
      if (!exclude_hits_[i]) report(rules_.excludes[i].where, "exclude \"" + rules_.excludes[i].pat.text() + "\"");
    for (std::size_t i = 0; i < rules_.keeps.size(); ++i) {
      const std::string text = "keep \"" + rules_.keeps[i].pat.text() + "\"";
      if (!keep_matches_[i]) {
        report(rules_.keeps[i].where, text);
      } else if (!keep_hits_[i]) {
        out_.problems.push_back({level, rules_.keeps[i].where.str() + ": " + text +
                                            " matches only tensors that a source fills (keep does not override a "
                                            "source: exclude the source to keep its destination)"});
      }
    }
    for (std::size_t i = 0; i < rules_.reshapes.size(); ++i)
      if (!reshape_hits_[i]) report(rules_.reshapes[i].where, rules_.reshapes[i].text());
  }

  void check_expectations() {
    for (const auto& x : rules_.expects) {
      const std::string rule = "expect " + rules::category_name(x.expected) + " \"" + x.pat.text() + "\"";
      std::size_t matched = 0, failed = 0;
      std::string first_failures;
      // excluded/unused are about source tensors (by their names in the source); every other
      // category is about destination tensors.
      const bool source_side = x.expected == category::excluded || x.expected == category::unused;
      for (const auto& e : out_.entries) {
        const bool hit = source_side ? (e.source && !e.destination && x.pat.match(out_.source[*e.source].name))
                                     : (e.destination && x.pat.match(out_.destination[*e.destination].name));
        if (!hit) continue;
        ++matched;
        if (e.what == x.expected) continue;
        if (++failed <= 3)
          first_failures += (first_failures.empty() ? "" : ", ") +
                            ("'" + (source_side ? out_.source[*e.source].name : out_.name_of(e)) + "' is " +
                             rules::category_name(e.what));
      }
      if (!matched) {
        error(x.where.str() + ": " + rule + " failed: no " + (source_side ? "source-only" : "destination") +
              " tensor matches" +
              (source_side ? " (excluded and unused name source tensors that reach no destination)"
                           : " (this category names destination tensors)"));
      } else if (failed) {
        error(x.where.str() + ": " + rule + " failed: " + first_failures +
              (failed > 3 ? " (and " + std::to_string(failed - 3) + " more)" : std::string()));
      }
    }
  }

  const rules::ruleset& rules_;
  plan_options options_;
  plan out_;
  std::unordered_map<std::string, std::size_t> dst_index_;
  std::vector<std::size_t> uncovered_;
  rule_index rename_index_, include_index_, exclude_index_, keep_index_, reshape_index_;
  std::vector<std::size_t> rename_hits_, include_hits_, exclude_hits_, keep_hits_, keep_matches_, reshape_hits_;
};

}  // namespace detail

/// Plans moving `source` tensors into `destination` under `rules`. Never throws for policy
/// findings: they are plan::problems (errors make plan::ok() false).
inline plan make_plan(const rules::ruleset& rules, const tensor_set& source, const tensor_set& destination,
                      const plan_options& options = {}) {
  return detail::planner(rules, source, destination, options).run();
}

}  // namespace graft
