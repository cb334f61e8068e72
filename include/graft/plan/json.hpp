#pragma once
/// \file
/// The plan as JSON (schema "graft-plan/1", documented in docs/plan-json.md).

#include <graft/detail/json_writer.hpp>
#include <graft/plan/plan.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace graft {

namespace detail {

inline void write_tensor(json_writer& w, const tensor_meta& t) {
  w.begin_object();
  w.key("name").value(t.name);
  w.key("dtype").value(std::string(dtype_name(t.type)));
  w.key("shape").array(t.shape);
  w.end_object();
}

/// "labels": each label map the rules use: for every destination label the source labels it takes
/// (none: kept, with "acknowledged" when the map's `keep` lists it), and the source labels dropped.
inline void write_label_maps(json_writer& w, const plan& p) {
  w.key("labels").begin_array();
  for (const auto& m : p.label_maps) {
    w.begin_object();
    w.key("from").value(m->from);
    w.key("to").value(m->to);
    w.key("from_kind").value(rules::label_word(m->from_kind));
    w.key("to_kind").value(rules::label_word(m->to_kind));
    w.key("map_at");
    if (m->where.known())
      w.value(m->where.str());
    else
      w.null();
    w.key("destination").begin_array();
    for (std::size_t j = 0; j < m->targets.size(); ++j) {
      const auto& t = m->targets[j];
      w.begin_object();
      w.key("label").value(m->to_joints[j]);
      w.key("sources").begin_array();
      for (auto s : t.sources) w.value(m->from_joints[s]);
      w.end_array();
      w.key("mean_of_all").value(t.how == rules::joint_source::kind::mean_of_all);
      w.key("fill");
      if (t.how == rules::joint_source::kind::none)
        w.value(std::string(row_of(fill_table, t.fill).word));
      else
        w.null();
      w.key("acknowledged").value(t.acknowledged);
      w.end_object();
    }
    w.end_array();
    w.key("dropped").begin_array();
    for (auto a : m->dropped()) w.value(m->from_joints[a]);
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

}  // namespace detail

/// The whole plan as one JSON document.
inline std::string format_json(const plan& p) {
  detail::json_writer w;
  w.begin_object();
  w.key("schema").value("graft-plan/1");
  w.key("ok").value(p.ok());
  w.key("mode").value(p.lenient ? "lenient" : "strict");
  w.key("rules_files").array(p.rules_files);
  w.key("source_tensors").value(static_cast<unsigned long long>(p.source.size()));
  w.key("destination_tensors").value(static_cast<unsigned long long>(p.destination.size()));
  w.key("counts").begin_object();
  for (const category_row& c : category_table)
    w.key(std::string(c.word)).value(static_cast<unsigned long long>(p.count(c.value)));
  w.end_object();
  w.key("problems").begin_array();
  for (const auto& problem : p.problems) {
    w.begin_object();
    w.key("severity").value(problem.level == plan_problem::severity::error ? "error" : "warning");
    w.key("message").value(problem.message);
    w.key("subject").value(problem.about == plan_problem::subject::plan   ? "plan"
                           : problem.about == plan_problem::subject::rule ? "rule"
                                                                          : "tensor");
    if (!problem.tensor.empty()) w.key("tensor").value(problem.tensor);
    if (!problem.group.empty()) w.key("group").value(problem.group);
    if (problem.where.known()) {
      w.key("file").value(problem.where.file());
      w.key("line").value(static_cast<unsigned long long>(problem.where.line()));
      w.key("column").value(static_cast<unsigned long long>(problem.where.column()));
    }
    w.end_object();
  }
  w.end_array();
  w.key("entries").begin_array();
  for (const auto& e : p.entries) {
    w.begin_object();
    w.key("category").value(category_name(e.what));
    w.key("source");
    if (e.source)
      detail::write_tensor(w, p.source[*e.source]);
    else
      w.null();
    w.key("destination");
    if (e.destination)
      detail::write_tensor(w, p.destination[*e.destination]);
    else
      w.null();
    w.key("renames").begin_array();
    for (const auto& r : e.renames) {
      w.begin_object();
      w.key("rule").value(r.rule);
      w.key("at").value(r.where.str());
      w.key("from").value(r.before);
      w.key("to").value(r.after);
      w.end_object();
    }
    w.end_array();
    w.key("rule");
    if (e.rule.empty())
      w.null();
    else
      w.value(e.rule);
    w.key("rule_at");
    if (e.rule_where.known())
      w.value(e.rule_where.str());
    else
      w.null();
    w.key("note").value(e.note);
    w.key("cast");
    if (e.cast && e.destination) {
      w.begin_object();
      const dtype from = e.source ? p.source[*e.source].type : p.source[e.mean_of.at(0)].type;
      w.key("from").value(std::string(dtype_name(from)));
      w.key("to").value(std::string(dtype_name(p.destination[*e.destination].type)));
      w.end_object();
    } else {
      w.null();
    }
    w.key("mean_of").begin_array();
    for (auto s : e.mean_of) w.value(p.source[s].name);
    w.end_array();
    w.key("select").begin_array();
    for (const auto& sel : e.selections) {
      w.begin_object();
      w.key("dim").value(static_cast<long long>(sel.dim));
      w.key("source_size").value(static_cast<long long>(sel.source_size));
      w.key("destination_size").value(static_cast<long long>(sel.destination_size));
      w.key("source_index").array(sel.source_index);
      w.key("destination_index").array(sel.destination_index);
      w.key("means").begin_array();
      for (const auto& m : sel.means) {
        w.begin_object();
        w.key("destination").value(static_cast<long long>(m.destination));
        if (m.same_as < 0)
          w.key("sources").array(m.sources);
        else
          w.key("same_as").value(static_cast<long long>(sel.means[static_cast<std::size_t>(m.same_as)].destination));
        w.end_object();
      }
      w.end_array();
      w.key("kept").array(sel.kept);
      w.key("zeroed").array(sel.zeroed);
      w.key("dropped").array(sel.dropped);
      w.key("joints").array(sel.joint_summaries);
      w.key("reordered").value(reorders(sel));
      w.end_object();
    }
    w.end_array();
    w.key("steps").begin_array();
    for (const auto& s : e.steps) w.value(s.text());
    w.end_array();
    w.end_object();
  }
  w.end_array();
  detail::write_label_maps(w, p);
  w.end_object();
  return w.str() + "\n";
}

}  // namespace graft
