#pragma once
/// \file
/// Label sets and map blocks, compiled: `joints`/`labels` statements (inline or from a label file) into
/// joint_sets, and `map` / `expect labels` blocks (copies, means, mean(*), keep, zero, the `*` target)
/// into joint_mappings, with errors at the label's file:line:col.

#include <graft/detail/utf8.hpp>
#include <graft/dsl/ast.hpp>
#include <graft/error.hpp>
#include <graft/rules/detail/file_loader.hpp>
#include <graft/rules/joints.hpp>
#include <graft/rules/name_template.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace graft::rules::detail {

/// True when a map block's label is `*` (every label): its text is empty and `*` stands there (a
/// quoted "" is an empty label instead).
inline bool is_every_label(const loaded_file& f, const dsl::ast::ident& label) {
  return label.text.empty() && label.offset < f.source->text().size() && f.source->text()[label.offset] == '*';
}

/// Throws when a label written in a rules file cannot be one: empty, too long, not UTF-8.
inline void check_label_text(const source_location& where, const std::string& text) {
  if (text.empty()) throw rules_error(where, "empty label (\"\")");
  if (text.size() > max_name_bytes)
    throw rules_error(
        where, "a label of " + std::to_string(text.size()) + " bytes (at most " + std::to_string(max_name_bytes) + ")");
  if (auto why = graft::detail::utf8_problem("the label", text); !why.empty()) throw rules_error(where, why);
}

/// Adds `label` to `set`, or throws at `where` when it is already a member (naming the first).
inline void add_member(joint_set& set, const std::string& label, const source_location& where,
                       const std::vector<source_location>& member_at) {
  if (set.add(label)) return;
  const auto first = *set.index_of(label);
  throw rules_error(where, label_word(set.kind, false) + " '" + label + "' appears twice in set '" + set.name + "'" +
                               (first < member_at.size() ? " (first at " + member_at[first].str() + ")" : ""));
}

/// The set a `joints`/`labels NAME = [...]` statement declares.
inline joint_set label_set_of(const loaded_file& f, const dsl::ast::label_set_stmt& stmt) {
  joint_set set{stmt.name.text, {}, source_location(f.source, stmt.name.offset)};
  set.kind = stmt.kind;
  std::vector<source_location> member_at;
  for (const auto& member : stmt.members) {
    const source_location where(f.source, member.offset);
    check_label_text(where, member.text);
    add_member(set, member.text, where, member_at);
    member_at.push_back(where);
  }
  return set;
}

/// The set a `labels NAME from "file"` statement declares (the file_loader has read the file).
inline joint_set label_set_of(const loaded_file& f, const dsl::ast::label_file_stmt& stmt) {
  joint_set set{stmt.name.text, {}, source_location(f.source, stmt.name.offset)};
  set.kind = stmt.kind;
  const loaded_label_file& file = f.label_file_at(stmt.offset);
  if (file.labels.empty())
    throw rules_error(source_location(f.source, stmt.path.offset),
                      "label file " + file.source->path() + " has no labels (only comments or blank lines)");
  std::vector<source_location> member_at;
  member_at.reserve(file.labels.size());
  for (const auto& label : file.labels) {
    const source_location where(file.source, label.offset);
    add_member(set, label.text, where, member_at);
    member_at.push_back(where);
  }
  return set;
}

/// The index of `label` in `set`, or a rules error at `where` (with a did-you-mean) when it is no label
/// of it.
inline std::size_t index_in(const joint_set& set, const dsl::ast::ident& label, const source_location& where) {
  check_label_text(where, label.text);
  if (auto i = set.index_of(label.text)) return *i;
  throw rules_error(where, "'" + label.text + "' is not a " + label_word(set.kind, false) + " of '" + set.name + "'" +
                               did_you_mean(label.text, set.joints));
}

/// A -> B where every label of B takes A's label of the same name (none when A lacks it).
inline std::shared_ptr<joint_mapping> same_name_map(const joint_set& a, const joint_set& b) {
  auto m = std::make_shared<joint_mapping>();
  m->from = a.name;
  m->to = b.name;
  m->from_kind = a.kind;
  m->to_kind = b.kind;
  m->from_joints = a.joints;
  m->to_joints = b.joints;
  m->targets.reserve(b.joints.size());
  for (const auto& joint : b.joints) {
    joint_source t;
    if (auto i = a.index_of(joint)) {
      t.how = joint_source::kind::same_name;
      t.sources = {*i};
    }
    m->targets.push_back(t);
  }
  return m;
}

/// The map A -> B that a map block (or an `expect labels` block) describes: the same-name map with the
/// block's items applied, then its `*` item (if any) for every label still without a source. `what`
/// names the statement in messages.
inline std::shared_ptr<joint_mapping> block_map(const loaded_file& f, const joint_set& a, const joint_set& b,
                                                const std::vector<dsl::ast::map_item>& items, const char* what) {
  auto m = same_name_map(a, b);
  std::set<std::string> assigned;
  std::optional<joint_source> every;  // the `*` item's source or fill
  std::optional<source_location> every_at;
  const auto where = [&](const dsl::ast::ident& label) { return source_location(f.source, label.offset); };
  const auto assign = [&](const dsl::ast::ident& label, joint_source t) {
    if (is_every_label(f, label)) {
      if (every)
        throw rules_error(where(label), "'*' is given values twice in this " + std::string(what) + " (first at " +
                                            every_at->str() + ")");
      every = std::move(t);
      every_at = where(label);
      return;
    }
    const std::size_t target = index_in(b, label, where(label));
    if (!assigned.insert(label.text).second)
      throw rules_error(where(label),
                        label_word(b.kind, false) + " '" + label.text + "' is assigned twice in this " + what);
    m->targets[target] = std::move(t);
  };
  for (const auto& item : items) {
    if (const auto* fill = boost::get<dsl::ast::map_fill>(&item)) {
      for (const auto& label : fill->labels) {
        joint_source t;
        t.acknowledged = true;
        t.fill = fill->kind;
        assign(label, t);
      }
      continue;
    }
    const auto& entry = boost::get<dsl::ast::map_entry>(item);
    joint_source t;
    t.how = entry.source.mean ? joint_source::kind::mean : joint_source::kind::renamed;
    for (const auto& src : entry.source.joints) {
      if (is_every_label(f, src)) {
        if (!entry.source.mean || entry.source.joints.size() != 1)
          throw rules_error(
              where(src), "'*' (every " + label_word(a.kind, false) + " of '" + a.name + "') stands alone, in mean(*)");
        t.how = joint_source::kind::mean_of_all;
        continue;
      }
      t.sources.push_back(index_in(a, src, where(src)));
    }
    assign(entry.target, std::move(t));
  }
  if (every)
    for (auto& t : m->targets)
      if (t.how == joint_source::kind::none && !t.acknowledged) t = *every;
  return m;
}

}  // namespace graft::rules::detail
