#pragma once
/// \file
/// pairer: the plan entry for a source tensor that lands on a destination tensor — copied, mapped by
/// the one reshape rule that matches (a channel layout or literal steps), or a conflict (the planner's
/// third stage).

#include <graft/plan/detail/alternatives.hpp>
#include <graft/plan/detail/layout_hints.hpp>
#include <graft/plan/detail/rule_index.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/route.hpp>
#include <graft/plan/shape_steps.hpp>
#include <graft/rules/ruleset.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace graft {

namespace detail {

/// "[a, b] (float32)".
inline std::string describe(const tensor_meta& t) { return shape_str(t.shape) + " " + std::string(dtype_name(t.type)); }

/// True when casting `from` → `to` cannot lose integer values, truncate floats to integers or drop an
/// imaginary part (floating and complex targets may round, as float64 → float32 does).
inline bool safe_cast(dtype from, dtype to) {
  if (from == to) return true;
  const dtype_kind f = dtype_kind_of(from), t = dtype_kind_of(to);
  if (t == dtype_kind::complex) return true;
  if (f == dtype_kind::complex) return false;  // the imaginary part would be dropped
  if (t == dtype_kind::floating) return true;
  if (t == dtype_kind::boolean || f == dtype_kind::floating) return false;
  if (f == dtype_kind::boolean) return true;
  if (t == dtype_kind::unsigned_int)  // from a signed type, negative values would wrap
    return f == dtype_kind::unsigned_int && dtype_size(to) >= dtype_size(from);
  return f == dtype_kind::unsigned_int ? dtype_size(to) > dtype_size(from) : dtype_size(to) >= dtype_size(from);
}

/// "a; b", or whichever is not empty.
inline std::string join_note(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "; " + b;
}

/// True when the joints a map copies (same-named or renamed) come from the source in another order.
inline bool map_reorders(const rules::joint_mapping& map) {
  bool first = true;
  std::size_t last = 0;
  for (const auto& t : map.targets) {
    if (t.how != rules::joint_source::kind::same_name && t.how != rules::joint_source::kind::renamed) continue;
    if (!first && t.sources[0] <= last) return true;
    first = false;
    last = t.sources[0];
  }
  return false;
}

/// A joint segment's summary, with ", reordered" after its "N of M joints" when its map reorders.
inline std::string joint_note(const rules::dim_selection& sel, std::size_t k) {
  std::string note = sel.joint_summaries[k];
  if (k < sel.joint_spans.size() && sel.joint_spans[k].map && map_reorders(*sel.joint_spans[k].map))
    note.insert(std::min(note.find(';'), note.size()), ", reordered");
  return note;
}

/// Builds the entries of source/destination pairs, reporting conflicts into a problem list.
class pairer {
public:
  /// A pairer for tensors of `source` × `destination` under `rules`; conflicts go to `problems`.
  pairer(const rules::ruleset& rules, const tensor_set& source, const tensor_set& destination,
         std::vector<plan_problem>& problems)
      : rules_(rules),
        source_(source),
        destination_(destination),
        problems_(problems),
        index_(pattern_index(rules.reshapes)),
        hits_(rules.reshapes.size(), 0),
        alternatives_(rules.reshapes.size(),
                      [&](std::size_t i) -> const rules::pattern& { return rules.reshapes[i].pat; }) {}

  /// The entry for a source/destination pair: copied, mapped or conflict.
  plan_entry pair(std::size_t s, std::size_t d, routed_name& route) {
    const tensor_meta& a = source_[s];
    const tensor_meta& b = destination_[d];
    plan_entry e;
    e.source = s;
    e.destination = d;
    e.renames = std::move(route.steps);  // each route pairs at most once; nothing reads it afterwards
    e.what = category::copied;
    // Built only when needed (conflicts and layouts): most pairs are plain copies.
    const auto conflict = [&](const std::string& why) { mark_conflict(e, a, b, why); };

    // At most one reshape rule per tensor.
    const rules::reshape_rule* reshape = nullptr;
    bool two_reshapes = false;
    index_.for_each(b.name, rules_.reshapes.size(), [&](std::size_t i) {
      const auto& r = rules_.reshapes[i];
      if (!r.pat.match(b.name)) return false;
      ++hits_[i];
      alternatives_.note(i, r.pat, b.name);
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
        conflict("shapes differ and no reshape rule matches" + shape_hint(a, b));
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
    if (!reshape->layouts.empty())
      select_channels(e, a, b, *reshape);
    else
      reshape_literally(e, a, b, *reshape);
    return e;
  }

  /// Tensors reshape rule `i` matched.
  std::size_t hits(std::size_t i) const { return hits_[i]; }
  /// The `{a,b}` alternatives of the reshape patterns that matched a pair.
  const alternative_hits& alternatives() const { return alternatives_; }

private:
  void error(std::string message) { problems_.push_back({plan_problem::severity::error, std::move(message)}); }
  /// An error about a rule that does not fit tensor `name` (ranked with the rules; the report shows the
  /// rule's line and a caret).
  void error_at(const source_location& where, const std::string& text, const std::string& name) {
    problems_.push_back(
        plan_problem::at_rule(plan_problem::severity::error, where, text, plan_problem::subject::rule, name));
  }

  /// " (the source is the destination transposed: ...)" or a `view` hint when the elements agree, else "".
  static std::string shape_hint(const tensor_meta& a, const tensor_meta& b) {
    const std::string rule = "reshape \"" + b.name + "\" { ";
    if (a.shape.size() == 2 && b.shape.size() == 2 && a.shape[0] == b.shape[1] && a.shape[1] == b.shape[0])
      return " (the source is the destination transposed, as a Linear weight stored in the other layout: " + rule +
             "transpose 0 1 })";
    const auto elements = [](const shape_t& shape) -> std::int64_t {  // -1 when it overflows
      std::int64_t n = 1;
      for (auto size : shape) {
        if (size < 0 || (size > 0 && n > INT64_MAX / size)) return -1;
        n *= size;
      }
      return n;
    };
    const std::int64_t ea = elements(a.shape), eb = elements(b.shape);
    if (ea >= 0 && ea == eb && a.shape.size() != b.shape.size())
      return " (both hold " + std::to_string(ea) + " elements: if only the rank differs, " + rule + "view })";
    return {};
  }

  static std::string context(const tensor_meta& a, const tensor_meta& b) {
    return "'" + b.name + "' " + shape_str(a.shape) + " -> " + shape_str(b.shape);
  }

  void mark_conflict(plan_entry& e, const tensor_meta& a, const tensor_meta& b, const std::string& why) {
    e.what = category::conflict;
    e.note = why;
    if (e.rule_where.known())
      error_at(e.rule_where, "conflict on " + context(a, b) + ": " + why, b.name);
    else
      problems_.push_back({plan_problem::severity::error, "conflict on " + context(a, b) + ": " + why,
                           plan_problem::subject::tensor, b.name});
  }

  /// A mapped entry through per-dimension channel layouts.
  void select_channels(plan_entry& e, const tensor_meta& a, const tensor_meta& b, const rules::reshape_rule& reshape) {
    const auto conflict = [&](const std::string& why) { mark_conflict(e, a, b, why); };
    if (a.shape.size() != b.shape.size()) {
      conflict("a channel layout needs tensors of equal rank, got " + std::to_string(a.shape.size()) + " and " +
               std::to_string(b.shape.size()));
      return;
    }
    std::vector<bool> laid(a.shape.size(), false);
    std::string summaries;
    for (const auto& layout : reshape.layouts) {
      if (layout.dim >= static_cast<std::int64_t>(a.shape.size())) {
        conflict(layout.where.str() + ": dim " + std::to_string(layout.dim) + " is out of range for a tensor of rank " +
                 std::to_string(a.shape.size()));
        return;
      }
      try {
        const auto dim = static_cast<std::size_t>(layout.dim);
        laid[dim] = true;
        e.selections.push_back(rules::resolve_layout(layout, a.shape[dim], b.shape[dim], context(a, b)));
        std::vector<std::string> joint_notes;
        for (std::size_t k = 0; k < e.selections.back().joint_summaries.size(); ++k)
          joint_notes.push_back(joint_note(e.selections.back(), k));
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
        e.note = err.message() + layout_fit_hint(layout, rules_, a.shape, b.shape);
        error_at(err.where(), e.note, b.name);
        return;
      }
    }
    for (std::size_t i = 0; i < a.shape.size(); ++i) {
      if (!laid[i] && a.shape[i] != b.shape[i]) {
        conflict("dim " + std::to_string(i) + " differs (" + std::to_string(a.shape[i]) + " vs " +
                 std::to_string(b.shape[i]) + ") and " + reshape.text() + " gives it no layout");
        return;
      }
    }
    e.note = join_note(summaries.empty() ? "channels selected" : summaries, e.note);
    return;
  }

  /// A mapped entry through literal reshape steps.
  void reshape_literally(plan_entry& e, const tensor_meta& a, const tensor_meta& b,
                         const rules::reshape_rule& reshape) {
    const auto conflict = [&](const std::string& why) { mark_conflict(e, a, b, why); };
    strided_shape t{a.shape, contiguous_strides(a.shape)};
    for (const auto& step : reshape.steps) {
      if (auto why = apply_step(step, t, b.shape)) {
        conflict(step.where.str() + ": " + step.text() + ": " + *why);
        return;
      }
      e.steps.push_back(step);
    }
    const shape_t& shape = t.shape;
    if (shape != b.shape) {
      conflict(reshape.text() + " turns " + shape_str(a.shape) + " into " + shape_str(shape) + ", not " +
               shape_str(b.shape));
      return;
    }
    std::string ops;
    for (const auto& st : e.steps) ops += (ops.empty() ? "" : ", ") + st.text();
    e.note = join_note(ops, e.note);
    return;
  }

  const rules::ruleset& rules_;
  const tensor_set& source_;
  const tensor_set& destination_;
  std::vector<plan_problem>& problems_;
  rule_index index_;
  std::vector<std::size_t> hits_;
  alternative_hits alternatives_;
};

}  // namespace detail

}  // namespace graft
