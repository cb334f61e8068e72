#pragma once
/// \file
/// The syntax tree of a rules file, as the parser produces it. Offsets are bytes into the file's text.

#include <graft/vocabulary.hpp>

#include <boost/spirit/home/x3/support/ast/variant.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace graft::dsl::ast {

// The words of the language are graft's vocabulary (graft/vocabulary.hpp).
using graft::category;
using graft::count_kind;
using graft::fill_kind;
using graft::filter_kind;
using graft::label_kind;
using graft::plan_mode;
using graft::shape_op_kind;

/// Byte offset into the rules file (turned into file:line:col by `graft::source_location`).
using offset_t = std::size_t;

/// A bare name (label set) and where it stands; also a label, which may be quoted (`"great white
/// shark"`: the text without quotes) or `*` (the text empty: "every label", where the grammar allows it).
struct ident {
  offset_t offset = 0;
  std::string text;
};

/// A quoted string after escape processing, and where its opening quote stands.
struct string_lit {
  offset_t offset = 0;
  std::string text;
};

/// `use "file.graft"`.
struct use_stmt {
  offset_t offset = 0;
  string_lit path;
};

/// `labels NAME = [a, "b c", ...]` (or `joints NAME = [...]`).
struct label_set_stmt {
  offset_t offset = 0;
  label_kind kind = label_kind::joints;
  ident name;
  std::vector<ident> members;
};

/// `labels NAME from "file.labels"`: a set read from a label file.
struct label_file_stmt {
  offset_t offset = 0;
  label_kind kind = label_kind::labels;
  ident name;
  string_lit path;
};

/// The right-hand side of a map entry: one label, or `mean(a, b, ...)` (`mean(*)`: all source labels).
struct joint_source {
  bool mean = false;
  std::vector<ident> joints;
};

/// `target = source` inside a map block.
struct map_entry {
  ident target;
  joint_source source;
};

/// `keep a, b` or `zero a, b` inside a map block: what destination labels without a source get.
struct map_fill {
  offset_t offset = 0;
  fill_kind kind = fill_kind::keep;
  std::vector<ident> labels;
};

/// One item of a map block.
struct map_item : boost::spirit::x3::variant<map_entry, map_fill> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `map FROM -> TO { items }`.
struct map_stmt {
  offset_t offset = 0;
  ident from;
  ident to;
  std::vector<map_item> entries;
};

/// `strip "prefix."`.
struct strip_stmt {
  offset_t offset = 0;
  string_lit prefix;
};

/// `rename "pattern" -> "template"`.
struct rename_stmt {
  offset_t offset = 0;
  string_lit pattern;
  string_lit replacement;
};

/// `include|exclude|keep "pattern", ...`.
struct filter_stmt {
  offset_t offset = 0;
  filter_kind kind = filter_kind::include;
  std::vector<string_lit> patterns;
};

/// `keep N` or `keep` (inferred length).
struct keep_segment {
  offset_t offset = 0;
  std::optional<std::int64_t> count;
};

/// `drop N` or `new N`.
struct count_segment {
  offset_t offset = 0;
  count_kind kind = count_kind::drop;
  std::int64_t count = 0;
};

/// `A -> B`: one channel per joint.
struct joint_segment {
  offset_t offset = 0;
  ident from;
  ident to;
};

/// `(A -> B) * k`: k consecutive channels per joint (joint-major).
struct grouped_segment {
  offset_t offset = 0;
  ident from;
  ident to;
  std::int64_t repeat = 1;
};

/// `k * (A -> B)`: k blocks of all joints (block-major).
struct blocked_segment {
  offset_t offset = 0;
  std::int64_t repeat = 1;
  ident from;
  ident to;
};

/// One segment of a dimension layout.
struct segment
    : boost::spirit::x3::variant<keep_segment, count_segment, joint_segment, grouped_segment, blocked_segment> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `dim D = seg, seg, ...`.
struct dim_op {
  offset_t offset = 0;
  std::int64_t dim = 0;
  std::vector<segment> segments;
};

/// `view`, `permute a b c`, `transpose a b`, `squeeze d`, `unsqueeze d`.
struct shape_op {
  offset_t offset = 0;
  shape_op_kind kind = shape_op_kind::view;
  std::vector<std::int64_t> args;
};

/// One operation inside a reshape block.
struct reshape_op : boost::spirit::x3::variant<dim_op, shape_op> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `reshape "pattern" { ops }`.
struct reshape_stmt {
  offset_t offset = 0;
  string_lit pattern;
  std::vector<reshape_op> ops;
};

/// `expect CATEGORY "pattern", ...`.
struct expect_stmt {
  offset_t offset = 0;
  category expected = category::copied;
  std::vector<string_lit> patterns;
};

/// `expect labels "pattern", ... dim D = FROM -> TO { items }`: where each destination label's rows
/// come from, in dimension D of the matching tensors.
struct expect_labels_stmt {
  offset_t offset = 0;
  std::vector<string_lit> patterns;
  offset_t dim_offset = 0;
  std::int64_t dim = 0;
  ident from;
  ident to;
  std::vector<map_item> entries;
};

/// `mode strict|lenient`.
struct mode_stmt {
  offset_t offset = 0;
  plan_mode mode = plan_mode::strict;
};

/// Any statement.
struct statement
    : boost::spirit::x3::variant<use_stmt, label_set_stmt, label_file_stmt, map_stmt, strip_stmt, rename_stmt,
                                 filter_stmt, reshape_stmt, expect_labels_stmt, expect_stmt, mode_stmt> {
  using base_type::base_type;
  using base_type::operator=;
};

/// A whole file.
using file = std::vector<statement>;

}  // namespace graft::dsl::ast
