#pragma once
/// \file
/// explain(): every step the planner takes for one source or destination name.

#include <graft/detail/text.hpp>
#include <graft/error.hpp>
#include <graft/plan/filters.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/route.hpp>
#include <graft/rules/joints.hpp>

#include <string>
#include <vector>

namespace graft {

namespace detail {

inline std::string index_list(const std::vector<std::int64_t>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

/// Appends `text` (names and rules from the inputs: made safe to print) and a line break.
inline void add_line(std::string& out, const std::string& text) {
  out += printable(text);
  out += '\n';
}

inline std::string explain_entry(const plan& p, const plan_entry& e) {
  std::string out;
  add_line(out, "plan: " + category_name(e.what) + (e.note.empty() ? "" : ": " + e.note));
  if (!e.rule.empty())
    add_line(out, "  decided by " + e.rule + (e.rule_where.known() ? " at " + e.rule_where.str() : ""));
  for (const auto& sel : e.selections) {
    out += "dim " + std::to_string(sel.dim) + " (" + std::to_string(sel.source_size) + " -> " +
           std::to_string(sel.destination_size) + " rows" + (graft::reorders(sel) ? ", reordered" : "") + "):\n";
    out += "  source rows:      " + index_list(sel.source_index) + "\n";
    out += "  destination rows: " + index_list(sel.destination_index) + "\n";
    for (const auto& m : sel.means)
      out += "  destination row " + std::to_string(m.destination) +
             (m.same_as < 0 ? " = mean of source rows " + index_list(m.sources)
                            : " = the same mean as destination row " +
                                  std::to_string(sel.means[static_cast<std::size_t>(m.same_as)].destination)) +
             "\n";
    if (!sel.kept.empty()) out += "  kept (destination) rows: " + index_list(sel.kept) + "\n";
    if (!sel.zeroed.empty()) out += "  zeroed (destination) rows: " + index_list(sel.zeroed) + "\n";
    if (!sel.dropped.empty()) out += "  dropped (source) rows:   " + index_list(sel.dropped) + "\n";
  }
  for (const auto& step : e.steps) add_line(out, "step: " + step.text() + " (" + step.where.str() + ")");
  if (!e.mean_of.empty()) {
    std::string from = "from:";
    for (auto s : e.mean_of) from += " '" + p.source[s].name + "'";
    add_line(out, from + (e.mean_of.size() > 1 ? " (mean)" : ""));
  }
  return out;
}

}  // namespace detail

/// A step-by-step account of how `name` (a source or destination tensor) is planned.
/// Throws usage_error when neither set has the name.
inline std::string explain(const rules::ruleset& rules, const tensor_set& source, const tensor_set& destination,
                           const std::string& name, const plan_options& options = {}) {
  const plan p = make_plan(rules, source, destination, options);
  router names(rules);  // the planner's stages, traced
  filters lists(rules);
  std::string out;
  const tensor_meta* as_source = nullptr;
  const tensor_meta* as_destination = nullptr;
  for (const auto& t : source)
    if (t.name == name) as_source = &t;
  for (const auto& t : destination)
    if (t.name == name) as_destination = &t;
  if (!as_source && !as_destination) {
    std::vector<std::string> names;
    for (const auto& t : source) names.push_back(t.name);
    for (const auto& t : destination) names.push_back(t.name);
    throw usage_error("no tensor named '" + name + "' in the source or the destination" +
                      rules::did_you_mean(name, names));
  }

  if (as_source) {
    detail::add_line(out, "source '" + name + "' " + detail::describe(*as_source));
    std::vector<std::string> trace;
    const routed_name r = names.route(name, 0, false, &trace);
    out += "names:\n";
    if (trace.empty()) out += "  (no strip or rename rules)\n";
    for (const auto& line : trace) detail::add_line(out, "  " + line);
    if (r.dropped) {
      detail::add_line(out, "result: dropped (" + *r.dropped + ")");
    } else {
      detail::add_line(out, "  final name '" + r.name + "'");
      plan_entry scratch;
      if (auto why = lists.filtered_out(r.name, scratch)) {
        detail::add_line(out,
                         "filters: " + *why + (scratch.rule_where.known() ? " at " + scratch.rule_where.str() : ""));
      } else {
        out += std::string("filters: ") + (rules.excludes.empty() ? "no exclude rules" : "no exclude pattern matches") +
               ", " +
               (rules.includes.empty() ? "no include list (everything is included)" : "an include pattern matches") +
               "\n";
        const tensor_meta* target = nullptr;
        for (const auto& t : destination)
          if (t.name == r.name) target = &t;
        if (target) {
          detail::add_line(out, "destination '" + r.name + "' " + detail::describe(*target));
          out += "reshape rules:\n";
          if (rules.reshapes.empty()) out += "  (none)\n";
          for (const auto& rr : rules.reshapes)
            detail::add_line(out, "  " + rr.text() + " (" + rr.where.str() +
                                      "): " + (rr.pat.match(r.name) ? "matches" : "no match"));
        } else {
          detail::add_line(out, "destination: no tensor named '" + r.name + "'");
        }
      }
    }
    if (const plan_entry* e = p.for_source(name)) out += detail::explain_entry(p, *e);
  }

  if (as_destination) {
    if (!out.empty()) out += "\n";
    detail::add_line(out, "destination '" + name + "' " + detail::describe(*as_destination));
    if (const plan_entry* e = p.for_destination(name)) {
      if (e->source && !as_source) {
        detail::add_line(out, "filled from source '" + p.source[*e->source].name + "'");
        for (const auto& step : e->renames)
          detail::add_line(
              out, "  " + step.rule + " (" + step.where.str() + "): '" + step.before + "' -> '" + step.after + "'");
      }
      if (!as_source || !e->source || p.source[*e->source].name != name) out += detail::explain_entry(p, *e);
      if (e->what == category::kept && e->rule.empty()) {
        out += "  no source lands here and no keep pattern matches\n";
      }
    }
  }
  return out;
}

}  // namespace graft
