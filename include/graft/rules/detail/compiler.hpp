#pragma once
/// \file
/// compiler: parsed rules files → a validated ruleset (joint sets, maps, patterns, layouts, steps), with
/// errors at the statement's file:line:col.

#include <graft/dsl/ast.hpp>
#include <graft/error.hpp>
#include <graft/rules/detail/file_loader.hpp>
#include <graft/rules/detail/label_sets.hpp>
#include <graft/rules/ruleset.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace graft::rules::detail {

/// Turns parsed files into a validated ruleset.
class compiler {
public:
  ruleset compile(const std::vector<loaded_file>& files) {
    for (const auto& f : files) out_.files.push_back(f.source->path());
    for (const auto& f : files) collect_joint_sets(f);
    for (const auto& f : files) collect_maps(f);
    for (const auto& f : files) compile_statements(f);
    return std::move(out_);
  }

private:
  static source_location at(const loaded_file& f, std::size_t offset) { return source_location(f.source, offset); }

  /// Where character `index` of a string literal's text (escapes resolved) stands in the file: each
  /// escape before it (`\"`, `\t`) is two bytes of source for one character of text.
  static source_location in_string(const loaded_file& f, const dsl::ast::string_lit& s, std::size_t index) {
    const std::string& text = f.source->text();
    std::size_t at_byte = s.offset + 1;  // after the opening quote
    for (std::size_t i = 0; i < index && at_byte < text.size(); ++i) at_byte += text[at_byte] == '\\' ? 2 : 1;
    return source_location(f.source, at_byte);
  }

  std::vector<std::string> set_names() const {
    std::vector<std::string> names;
    for (const auto& s : out_.joint_sets) names.push_back(s.name);
    return names;
  }

  const joint_set& require_set(const loaded_file& f, const dsl::ast::ident& name) const {
    if (const joint_set* s = out_.find_set(name.text)) return *s;
    const std::string near = did_you_mean(name.text, set_names());
    throw rules_error(at(f, name.offset), "unknown label set '" + name.text + "'" +
                                              (near.empty() ? " (no loaded file declares it: declare it with 'labels " +
                                                                  name.text + " = [...]' or 'labels " + name.text +
                                                                  " from \"FILE.labels\"' in your rules file)"
                                                            : near));
  }

  joint_set_sizes sizes() const {
    return [this](std::string_view name) -> std::optional<std::size_t> {
      if (const joint_set* s = out_.find_set(name)) return s->size();
      return std::nullopt;
    };
  }

  void collect_joint_sets(const loaded_file& f) {
    for (const auto& stmt : f.syntax) {
      std::optional<joint_set> set;
      if (const auto* inline_set = boost::get<dsl::ast::label_set_stmt>(&stmt))
        set = label_set_of(f, *inline_set);
      else if (const auto* file_set = boost::get<dsl::ast::label_file_stmt>(&stmt))
        set = label_set_of(f, *file_set);
      if (!set) continue;
      if (const joint_set* prior = out_.find_set(set->name))
        throw rules_error(set->where, label_word(set->kind, false) + " set '" + set->name + "' is already defined at " +
                                          prior->where.str());
      out_.joint_sets.push_back(std::move(*set));
    }
  }

  /// The map A -> B: the declared one, else the same-name map (created on first use).
  std::shared_ptr<const joint_mapping> implicit_map(const joint_set& a, const joint_set& b) {
    if (auto existing = out_.find_map(a.name, b.name)) return existing;
    auto m = same_name_map(a, b);
    out_.maps.push_back(m);
    return m;
  }

  void collect_maps(const loaded_file& f) {
    for (const auto& stmt : f.syntax) {
      const auto* ms = boost::get<dsl::ast::map_stmt>(&stmt);
      if (!ms) continue;
      const joint_set& a = require_set(f, ms->from);
      const joint_set& b = require_set(f, ms->to);
      const source_location where = at(f, ms->offset);
      if (auto prior = out_.find_map(a.name, b.name))
        throw rules_error(where, "map " + a.name + " -> " + b.name + " is already defined at " + prior->where.str());
      auto m = block_map(f, a, b, ms->entries, "map");
      m->where = where;
      out_.maps.push_back(std::move(m));
    }
  }

  /// `expect labels "p", ... dim D = A -> B { ... }`: one label_expectation per pattern. Every B label
  /// without an A namesake must be listed: the expectation states each label's origin.
  void compile_label_expectation(const loaded_file& f, const dsl::ast::expect_labels_stmt& x) {
    const joint_set& a = require_set(f, x.from);
    const joint_set& b = require_set(f, x.to);
    if (x.dim < 0) throw rules_error(at(f, x.dim_offset), "dim must be 0 or more, not " + std::to_string(x.dim));
    auto expected = block_map(f, a, b, x.entries, "expectation");
    expected->where = at(f, x.offset);
    std::vector<std::string> unstated;
    for (std::size_t j = 0; j < expected->targets.size(); ++j) {
      const joint_source& t = expected->targets[j];
      if (t.how == joint_source::kind::none && !t.acknowledged) unstated.push_back(b.joints[j]);
      if (unstated.size() > 10) break;
    }
    if (!unstated.empty()) {
      std::string quoted, plain;
      for (const auto& u : unstated) {
        quoted += (quoted.empty() ? "'" : ", '") + u + "'";
        plain += (plain.empty() ? "" : ", ") + u;
      }
      const bool one = unstated.size() == 1;
      throw rules_error(at(f, x.from.offset), "expect labels: " + b.name + " " + label_word(b.kind, !one) + " " +
                                                  quoted + (one ? " has" : " have") + " no namesake in " + a.name +
                                                  ": say where " + (one ? "its" : "their") + " rows come from ('keep " +
                                                  plain + "', or '" + unstated[0] + " = " + a.name + "_joint')");
    }
    for (auto& p : compile_patterns(f, x.patterns))
      out_.label_expects.push_back({std::move(p.pat), p.where, x.dim, expected, at(f, x.offset)});
  }

  pattern compile_pattern(const loaded_file& f, const dsl::ast::string_lit& s) const {
    try {
      return pattern::compile(s.text, sizes());
    } catch (const pattern_syntax_error& e) {
      throw rules_error(in_string(f, s, e.offset), std::string(e.what()) + " in pattern \"" + s.text + "\"");
    }
  }

  std::vector<located_pattern> compile_patterns(const loaded_file& f, const std::vector<dsl::ast::string_lit>& list) {
    std::vector<located_pattern> out;
    for (const auto& s : list) out.push_back({compile_pattern(f, s), at(f, s.offset)});
    return out;
  }

  static void append(std::vector<located_pattern>& to, std::vector<located_pattern> from) {
    for (auto& p : from) to.push_back(std::move(p));
  }

  layout_segment joint_segment(const loaded_file& f, std::size_t offset, const dsl::ast::ident& from,
                               const dsl::ast::ident& to, std::int64_t repeat, bool block_major) {
    const joint_set& a = require_set(f, from);
    const joint_set& b = require_set(f, to);
    layout_segment seg;
    seg.what = layout_segment::kind::joints;
    seg.map = implicit_map(a, b);
    seg.repeat = repeat;
    seg.block_major = block_major;
    seg.where = at(f, offset);
    out_.map_uses.push_back({seg.map, seg.where});
    if (repeat < 1) throw rules_error(seg.where, "a joint layout repeats at least once, not " + std::to_string(repeat));
    return seg;
  }

  dim_layout compile_layout(const loaded_file& f, const dsl::ast::dim_op& op) {
    dim_layout layout;
    layout.dim = op.dim;
    layout.where = at(f, op.offset);
    if (op.dim < 0) throw rules_error(layout.where, "dim must be 0 or more, not " + std::to_string(op.dim));
    int inferred = 0;
    for (const auto& s : op.segments) {
      layout_segment seg;
      if (const auto* keep = boost::get<dsl::ast::keep_segment>(&s)) {
        seg.where = at(f, keep->offset);
        if (keep->count) {
          seg.what = layout_segment::kind::keep;
          seg.count = *keep->count;
          if (seg.count < 1) throw rules_error(seg.where, "keep needs a count of at least 1 (or no count to infer it)");
        } else {
          seg.what = layout_segment::kind::keep_inferred;
          if (++inferred > 1) throw rules_error(seg.where, "only one 'keep' without a count may stand in a dim layout");
        }
      } else if (const auto* count = boost::get<dsl::ast::count_segment>(&s)) {
        seg.where = at(f, count->offset);
        seg.what = count->kind == dsl::ast::count_kind::drop ? layout_segment::kind::drop : layout_segment::kind::fresh;
        seg.count = count->count;
        if (seg.count < 1)
          throw rules_error(seg.where,
                            std::string(row_of(count_table, count->kind).word) + " needs a count of at least 1");
      } else if (const auto* js = boost::get<dsl::ast::joint_segment>(&s)) {
        seg = joint_segment(f, js->offset, js->from, js->to, 1, false);
      } else if (const auto* gs = boost::get<dsl::ast::grouped_segment>(&s)) {
        seg = joint_segment(f, gs->offset, gs->from, gs->to, gs->repeat, false);
      } else if (const auto* bs = boost::get<dsl::ast::blocked_segment>(&s)) {
        seg = joint_segment(f, bs->offset, bs->from, bs->to, bs->repeat, true);
      }
      layout.segments.push_back(std::move(seg));
    }
    check_layout_length(layout);
    return layout;
  }

  /// Bounds each segment and the layout's total on both sides by max_layout_rows, so that no length
  /// overflows when the planner adds them up.
  static void check_layout_length(const dim_layout& layout) {
    const auto too_long = [&](const layout_segment& seg) {
      return rules_error(seg.where, seg.text() + " names more rows than a layout takes (at most " +
                                        std::to_string(max_layout_rows) + ")");
    };
    std::int64_t source = 0, destination = 0;
    for (const auto& seg : layout.segments) {
      if (seg.what == layout_segment::kind::keep_inferred) continue;
      if (seg.what == layout_segment::kind::joints) {
        const auto joints = static_cast<std::int64_t>(std::max(seg.map->from_joints.size(), seg.map->to_joints.size()));
        if (seg.repeat > max_layout_rows / joints) throw too_long(seg);
      } else if (seg.count > max_layout_rows) {
        throw too_long(seg);
      }
      source += *seg.source_length();
      destination += *seg.destination_length();
      if (source > max_layout_rows || destination > max_layout_rows)
        throw rules_error(seg.where, "dim " + std::to_string(layout.dim) + " layout is too long: with " + seg.text() +
                                         " it names " + std::to_string(source) + " -> " + std::to_string(destination) +
                                         " rows (at most " + std::to_string(max_layout_rows) + " on each side)");
    }
  }

  shape_step compile_step(const loaded_file& f, const dsl::ast::shape_op& op) {
    shape_step step{op.kind, op.args, at(f, op.offset)};
    if (auto why = check_step_args(step)) throw rules_error(step.where, *why);
    return step;
  }

  void compile_statements(const loaded_file& f) {
    namespace ast = dsl::ast;
    for (const auto& stmt : f.syntax) {
      if (const auto* strip = boost::get<ast::strip_stmt>(&stmt)) {
        name_rule r;
        r.what = name_rule::kind::strip;
        r.prefix = strip->prefix.text;
        r.where = at(f, strip->offset);
        if (r.prefix.empty()) throw rules_error(at(f, strip->prefix.offset), "strip needs a non-empty prefix");
        out_.renames.push_back(std::move(r));
      } else if (const auto* rename = boost::get<ast::rename_stmt>(&stmt)) {
        name_rule r;
        r.what = name_rule::kind::rename;
        r.where = at(f, rename->offset);
        r.from = compile_pattern(f, rename->pattern);
        try {
          r.to = name_template::compile(rename->replacement.text, r.from.capture_count(), sizes());
        } catch (const pattern_syntax_error& e) {
          throw rules_error(in_string(f, rename->replacement, e.offset),
                            std::string(e.what()) + " in template \"" + rename->replacement.text + "\"");
        }
        const auto sets = r.from.joint_sets();
        if (r.to.writes_joint()) {
          if (sets.size() != 1)
            throw rules_error(at(f, rename->replacement.offset),
                              "a template that writes <set> needs exactly one <set> capture in the pattern");
          // Make sure the translation map exists for every set the template writes.
          const std::string& to_text = rename->replacement.text;
          for (std::size_t i = to_text.find('<'); i != std::string::npos; i = to_text.find('<', i + 1)) {
            const std::string target = to_text.substr(i + 1, to_text.find('>', i) - i - 1);
            if (target != sets[0])
              out_.map_uses.push_back({implicit_map(*out_.find_set(sets[0]), *out_.find_set(target)),
                                       in_string(f, rename->replacement, i)});
          }
        }
        out_.renames.push_back(std::move(r));
      } else if (const auto* filter = boost::get<ast::filter_stmt>(&stmt)) {
        auto list = compile_patterns(f, filter->patterns);
        switch (filter->kind) {
          case ast::filter_kind::include: append(out_.includes, std::move(list)); break;
          case ast::filter_kind::exclude: append(out_.excludes, std::move(list)); break;
          case ast::filter_kind::keep: append(out_.keeps, std::move(list)); break;
        }
      } else if (const auto* reshape = boost::get<ast::reshape_stmt>(&stmt)) {
        reshape_rule r;
        r.where = at(f, reshape->offset);
        r.pat = compile_pattern(f, reshape->pattern);
        if (reshape->ops.empty()) throw rules_error(r.where, "reshape block is empty");
        std::set<std::int64_t> dims;
        for (const auto& op : reshape->ops) {
          if (const auto* dim = boost::get<ast::dim_op>(&op)) {
            if (!dims.insert(dim->dim).second)
              throw rules_error(at(f, dim->offset),
                                "dim " + std::to_string(dim->dim) + " has two layouts in one reshape");
            r.layouts.push_back(compile_layout(f, *dim));
          } else {
            r.steps.push_back(compile_step(f, boost::get<ast::shape_op>(op)));
          }
        }
        if (!r.layouts.empty() && !r.steps.empty())
          throw rules_error(r.steps.front().where,
                            "a reshape block either selects channels (dim ...) or reshapes (view, permute, ...), not "
                            "both: split it into two rules on the tensors' names");
        if (std::count_if(r.steps.begin(), r.steps.end(),
                          [](const shape_step& s) { return s.what == shape_op_kind::view; }) > 1)
          throw rules_error(r.where, "view may appear once per reshape");
        out_.reshapes.push_back(std::move(r));
      } else if (const auto* expect = boost::get<ast::expect_stmt>(&stmt)) {
        for (auto& p : compile_patterns(f, expect->patterns))
          out_.expects.push_back({expect->expected, std::move(p.pat), p.where});
      } else if (const auto* labels = boost::get<ast::expect_labels_stmt>(&stmt)) {
        compile_label_expectation(f, *labels);
      } else if (const auto* mode = boost::get<ast::mode_stmt>(&stmt)) {
        out_.mode = mode->mode;
      }
    }
  }

  ruleset out_;
};

}  // namespace graft::rules::detail
