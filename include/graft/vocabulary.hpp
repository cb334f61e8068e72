#pragma once
/// \file
/// The words of graft, each list in one table (value, word, and what else its users need): plan
/// categories, literal reshape operations, filter and count keywords, label-set kinds, fill words and
/// plan modes. The grammar builds its symbol tables and messages from these tables, the loader checks
/// arities with them, and the report, JSON and executors name things with them. Depends on nothing but
/// the standard library.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace graft {

/// What a plan does with one tensor.
enum class category { copied, mapped, synthesized, kept, excluded, unused, conflict };

/// One row of category_table.
struct category_row {
  category value;
  std::string_view word;  ///< as written in `expect` and printed in reports and JSON
};

/// The plan categories, in report order.
inline constexpr category_row category_table[] = {
    {category::copied, "copied"},     {category::mapped, "mapped"},     {category::synthesized, "synthesized"},
    {category::kept, "kept"},         {category::excluded, "excluded"}, {category::unused, "unused"},
    {category::conflict, "conflict"},
};

/// A literal reshape step's operation.
enum class shape_op_kind { view, permute, transpose, squeeze, unsqueeze };

/// How many dimension arguments a shape operation takes.
enum class shape_op_arity {
  none,      ///< no arguments
  one,       ///< one dimension
  two,       ///< two dimensions
  every_dim  ///< one per dimension of the tensor (a permutation)
};

/// One row of shape_op_table.
struct shape_op_row {
  shape_op_kind value;
  std::string_view word;   ///< as written in a reshape block
  shape_op_arity arity;    ///< its arguments
  std::string_view takes;  ///< what it takes, for "WORD takes ..." messages
};

/// The literal reshape operations (their shape algebra is graft/plan/shape_steps.hpp).
inline constexpr shape_op_row shape_op_table[] = {
    {shape_op_kind::view, "view", shape_op_arity::none, "no arguments (it views as the destination's shape)"},
    {shape_op_kind::permute, "permute", shape_op_arity::every_dim, "the new order of all dimensions"},
    {shape_op_kind::transpose, "transpose", shape_op_arity::two, "2 dimensions"},
    {shape_op_kind::squeeze, "squeeze", shape_op_arity::one, "1 dimension"},
    {shape_op_kind::unsqueeze, "unsqueeze", shape_op_arity::one, "1 dimension"},
};

/// Which list a filter statement adds to.
enum class filter_kind { include, exclude, keep };

/// One row of filter_table.
struct filter_row {
  filter_kind value;
  std::string_view word;
};

/// The filter statements.
inline constexpr filter_row filter_table[] = {
    {filter_kind::include, "include"}, {filter_kind::exclude, "exclude"}, {filter_kind::keep, "keep"}};

/// Whether a count segment of a layout drops source channels or adds destination channels.
enum class count_kind { drop, fresh };

/// One row of count_table.
struct count_row {
  count_kind value;
  std::string_view word;
};

/// The count segments of a layout.
inline constexpr count_row count_table[] = {{count_kind::drop, "drop"}, {count_kind::fresh, "new"}};

/// The word a label set is declared with: its kind, named in reports, JSON and messages.
enum class label_kind { joints, labels };

/// One row of label_kind_table.
struct label_kind_row {
  label_kind value;
  std::string_view word;      ///< the statement word and the plural in reports ("12 of 14 joints")
  std::string_view singular;  ///< one member ("joint 'nose'", "label 'tench'")
};

/// The label-set statements (`joints` for keypoints, `labels` for classes, tokens, anything else).
inline constexpr label_kind_row label_kind_table[] = {{label_kind::joints, "joints", "joint"},
                                                      {label_kind::labels, "labels", "label"}};

/// What a map block does with destination labels that have no source.
enum class fill_kind {
  keep,  ///< the destination's values stay
  zero   ///< zeros
};

/// One row of fill_table.
struct fill_row {
  fill_kind value;
  std::string_view word;  ///< as written in a map block and printed in reports
  std::string_view done;  ///< the past participle in reports ("kept", "zeroed")
};

/// The fill words of map blocks.
inline constexpr fill_row fill_table[] = {{fill_kind::keep, "keep", "kept"}, {fill_kind::zero, "zero", "zeroed"}};

/// Strict (default) or lenient planning.
enum class plan_mode { strict, lenient };

/// One row of plan_mode_table.
struct plan_mode_row {
  plan_mode value;
  std::string_view word;
};

/// The plan modes.
inline constexpr plan_mode_row plan_mode_table[] = {{plan_mode::strict, "strict"}, {plan_mode::lenient, "lenient"}};

/// The row of `value` in a vocabulary table (every value has one).
template <class Row, std::size_t N, class Value>
constexpr const Row& row_of(const Row (&table)[N], Value value) {
  for (const Row& r : table)
    if (r.value == value) return r;
  return table[0];  // unreachable for a complete table (tests/plan/vocabulary.cpp checks each is)
}

/// The value spelled `word` in a vocabulary table, if any.
template <class Row, std::size_t N>
constexpr std::optional<decltype(Row::value)> value_of(const Row (&table)[N], std::string_view word) {
  for (const Row& r : table)
    if (r.word == word) return r.value;
  return std::nullopt;
}

/// The table's words joined: "a, b or c" (`last` between the final two).
template <class Row, std::size_t N>
std::string words_of(const Row (&table)[N], std::string_view last = " or ") {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i) out += i + 1 == N ? last : std::string_view(", ");
    out += table[i].word;
  }
  return out;
}

/// The word of a category ("copied", "mapped", ...).
inline std::string category_name(category c) { return std::string(row_of(category_table, c).word); }

/// The word of a shape operation ("view", "permute", ...).
inline std::string_view shape_op_word(shape_op_kind k) { return row_of(shape_op_table, k).word; }

}  // namespace graft
