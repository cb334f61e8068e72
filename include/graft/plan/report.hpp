#pragma once
/// \file
/// The human plan report: totals per category, folded name groups, mapped tensors, every problem.

#include <graft/detail/text.hpp>
#include <graft/plan/fold.hpp>
#include <graft/plan/labels.hpp>
#include <graft/plan/plan.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace graft {

/// Report options.
struct report_options {
  std::size_t max_problems = 40;  ///< problems listed before "... and N more" (0 = all)
  std::size_t max_listed = 24;    ///< entries listed one by one per category before folding
};

namespace detail {

inline std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

inline std::string right(std::string s, std::size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

/// "name  [a] -> [b]  note" (safe to print: names come from the inputs).
inline std::string entry_line(const plan& p, const plan_entry& e) {
  std::string name = p.name_of(e);
  std::string shapes;
  if (e.source && e.destination) {
    const auto& a = p.source[*e.source];
    const auto& b = p.destination[*e.destination];
    if (a.name != b.name) name = a.name + " -> " + b.name;
    shapes = a.shape == b.shape ? shape_str(b.shape) : shape_str(a.shape) + " -> " + shape_str(b.shape);
  } else if (e.destination) {
    shapes = shape_str(p.destination[*e.destination].shape);
  } else if (e.source) {
    shapes = shape_str(p.source[*e.source].shape);
  }
  std::string line = "  " + pad(name, 34) + " " + pad(shapes, 28);
  std::string note = e.note;
  // The deciding rule, unless the note already names it ("excluded by exclude \"x\"").
  if (!e.rule.empty() && e.what != category::mapped && note.find(e.rule) == std::string::npos)
    note += (note.empty() ? "" : "; ") + e.rule;
  if (!note.empty()) line += " " + note;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return printable(line);
}

/// `text` with `indent` before each of its lines.
inline std::string indented(const std::string& text, const std::string& indent) {
  std::string out = indent;
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out;
}

/// The problems, one a line (a rule's line and a caret under it after a problem about a rule), with groups of more than
/// 3 alike tensor problems folded into one line.
inline std::string problem_lines(const plan& p, const report_options& options) {
  std::map<std::string, std::vector<std::string>> groups;  // group -> tensor names
  for (const auto& x : p.problems)
    if (!x.group.empty()) groups[x.group].push_back(x.tensor);
  std::set<std::string> done;
  std::string out;
  std::size_t shown = 0, covered = 0;
  for (const auto& problem : p.problems) {
    const auto it = problem.group.empty() ? groups.end() : groups.find(problem.group);
    const bool folded = it != groups.end() && it->second.size() > 3;
    if (folded && !done.insert(problem.group).second) continue;  // its group's line is already out
    if (options.max_problems && shown == options.max_problems) {
      out += "  ... and " + std::to_string(p.problems.size() - covered) + " more (see --json for all)\n";
      break;
    }
    out += std::string("  ") + (problem.level == plan_problem::severity::error ? "error: " : "warning: ");
    if (folded) {
      std::string labels;
      std::size_t n = 0;
      for (const auto& f : fold_names(it->second)) {
        if (++n > 8) {
          labels += ", ...";
          break;
        }
        labels += (labels.empty() ? "" : ", ") + f.label + (f.count > 1 ? " (" + std::to_string(f.count) + ")" : "");
      }
      out += printable(std::to_string(it->second.size()) + " " + problem.group + ": " + labels) + "\n";
      covered += it->second.size();
    } else {
      out += printable(problem.message) + "\n";
      if (problem.where.known()) out += indented(problem.where.excerpt(), "      ") + "\n";
      ++covered;
    }
    ++shown;
  }
  return out;
}

}  // namespace detail

/// A report that fits a screen for a 2,000-tensor model.
inline std::string format_report(const plan& p, const report_options& options = {}) {
  using detail::pad;
  std::string out;
  std::string files;
  if (!p.rules_files.empty()) {
    files = p.rules_files.back();
    if (p.rules_files.size() > 1) files += " (+" + std::to_string(p.rules_files.size() - 1) + " imported)";
  }
  out += "plan: " + (files.empty() ? std::string("(no rules)") : detail::printable(files)) + "\n";
  out += "source " + std::to_string(p.source.size()) + " tensors, destination " + std::to_string(p.destination.size()) +
         " tensors, " + std::string(row_of(plan_mode_table, p.lenient ? plan_mode::lenient : plan_mode::strict).word) +
         " mode\n";
  for (const category_row& row : category_table)
    out += "  " + pad(std::string(row.word), 12) + detail::right(std::to_string(p.count(row.value)), 6) + "\n";

  for (const category_row& row : category_table) {
    const category c = row.value;
    std::vector<const plan_entry*> list;
    for (const auto& e : p.entries)
      if (e.what == c) list.push_back(&e);
    if (list.empty()) continue;
    out += "\n" + category_name(c) + " (" + std::to_string(list.size()) + "):\n";
    const bool one_by_one = c == category::mapped || c == category::conflict || list.size() <= options.max_listed;
    if (one_by_one) {
      for (const auto* e : list) out += detail::entry_line(p, *e) + "\n";
      continue;
    }
    // Fold by the reason/rule so that different causes stay apart.
    std::vector<std::string> reasons;
    std::map<std::string, std::vector<std::string>> by_reason;
    for (const auto* e : list) {
      std::string reason = e->rule.empty() ? e->note : e->rule;
      if (c == category::copied || c == category::synthesized) reason = e->cast ? e->note : "";
      if (!by_reason.count(reason)) reasons.push_back(reason);
      // Source-side groups under the names the rules see (after strip and rename): "old.**", not "module.**".
      const bool source_side = c == category::excluded || c == category::unused;
      by_reason[reason].push_back(source_side ? p.rules_name(*e) : p.name_of(*e));
    }
    for (const auto& reason : reasons) {
      for (const auto& f : fold_names(by_reason[reason])) {
        std::string line = "  " + pad(f.label, 40) + " " + detail::right(std::to_string(f.count), 5);
        if (!reason.empty()) line += "  " + reason;
        out += detail::printable(line) + "\n";
      }
    }
  }

  if (!p.label_maps.empty()) {
    out += "\nlabels:\n";
    for (const auto& m : p.label_maps) out += "  " + detail::printable(label_map_line(*m)) + "\n";
  }

  const std::size_t errors = p.count(plan_problem::severity::error);
  const std::size_t warnings = p.count(plan_problem::severity::warning);
  if (!p.problems.empty()) out += "\nproblems:\n" + detail::problem_lines(p, options);
  out += "\n";
  out += p.ok() ? "plan ok" : "plan FAILED";
  out += " (" + std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") + std::to_string(warnings) +
         (warnings == 1 ? " warning)\n" : " warnings)\n");
  return out;
}

}  // namespace graft
