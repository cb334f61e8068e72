#pragma once
/// \file
/// The Spirit X3 grammar of rules files. Every rule has a human name: it is what "expected X" says.

#include <graft/dsl/ast.hpp>
#include <graft/dsl/ast_adapted.hpp>

#include <boost/spirit/home/x3.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

namespace graft::dsl::grammar {

namespace x3 = boost::spirit::x3;

/// Tag under which parse() stores the text's first iterator in the X3 context.
struct text_begin_tag;

/// A primitive parser that consumes nothing and yields the byte offset of the next token.
struct offset_parser : x3::parser<offset_parser> {
  using attribute_type = ast::offset_t;
  static bool const has_attribute = true;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    Iterator const& begin = x3::get<text_begin_tag>(context);
    x3::traits::move_to(static_cast<ast::offset_t>(first - begin), attr);
    return true;
  }
};

/// The offset of the next token.
inline constexpr offset_parser here{};

/// A number that does not fit graft's 64-bit counts and dimensions. whole_number throws it at the
/// number's first character; parse() makes it a graft::rules_error there.
struct number_out_of_range {
  std::size_t offset;  ///< where the number starts
  std::string text;    ///< the number as written
  const char* what;    ///< "count", "dimension"
  bool negative;       ///< below the smallest value (else above the largest)
};

/// A whole number as a std::int64_t (with an optional sign when `Signed`); unlike X3's int_parser,
/// which fails on overflow (and makes "expected a count, saw '99999999999999999999'"), it throws
/// number_out_of_range for digits that do not fit.
template <bool Signed>
struct whole_number_parser : x3::parser<whole_number_parser<Signed>> {
  using attribute_type = std::int64_t;
  static bool const has_attribute = true;

  constexpr explicit whole_number_parser(const char* what_) : what(what_) {}
  const char* what;  ///< the number's role in messages

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    Iterator it = first;
    bool negative = false;
    if (Signed && it != last && (*it == '-' || *it == '+')) negative = *it++ == '-';
    const Iterator digits = it;
    constexpr std::uint64_t max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::uint64_t limit = negative ? max + 1 : max;
    std::uint64_t magnitude = 0;
    bool overflow = false;
    for (; it != last && *it >= '0' && *it <= '9'; ++it) {
      const auto d = static_cast<std::uint64_t>(*it - '0');
      if (overflow || magnitude > (limit - d) / 10)
        overflow = true;
      else
        magnitude = magnitude * 10 + d;
    }
    if (it == digits) return false;
    if (overflow) {
      Iterator const& begin = x3::get<text_begin_tag>(context);
      throw number_out_of_range{static_cast<std::size_t>(first - begin), std::string(first, it), what, negative};
    }
    const std::int64_t value = !negative              ? static_cast<std::int64_t>(magnitude)
                               : magnitude == max + 1 ? std::numeric_limits<std::int64_t>::min()
                                                      : -static_cast<std::int64_t>(magnitude);
    x3::traits::move_to(value, attr);
    first = it;
    return true;
  }
};

/// ASCII character classes, exactly what the C locale's isspace/isalpha/isalnum accept. X3's own
/// (x3::space, x3::alpha, x3::alnum) pass a plain, signed char to those functions: for bytes >= 0x80
/// that is undefined behaviour, and a failed assertion (abort) in builds without NDEBUG.
inline const auto space_char = x3::char_(" \t\n\v\f\r");
inline const auto alpha_char = x3::char_("a-zA-Z");
inline const auto alnum_char = x3::char_("a-zA-Z0-9");

/// A keyword: the word, not followed by a name character (so `keeper` is not `keep`).
inline auto keyword(char const* word) { return x3::lexeme[x3::lit(word) >> !(alnum_char | x3::char_('_'))]; }

/// A punctuation token with a human name for messages.
template <typename Tag>
inline auto token(char const* name, char const* text) {
  return x3::rule<Tag>{name} = x3::lit(text);
}

struct skipper_tag;
struct arrow_tag;
struct equals_tag;
struct open_brace_tag;
struct close_brace_tag;
struct open_bracket_tag;
struct close_bracket_tag;
struct open_paren_tag;
struct close_paren_tag;
struct times_tag;
struct closing_quote_tag;
struct escape_tag;

inline const auto arrow = token<arrow_tag>("'->'", "->");
inline const auto equals = token<equals_tag>("'='", "=");
inline const auto open_brace = token<open_brace_tag>("'{'", "{");
inline const auto close_brace = token<close_brace_tag>("'}'", "}");
inline const auto open_bracket = token<open_bracket_tag>("'['", "[");
inline const auto close_bracket = token<close_bracket_tag>("']'", "]");
inline const auto open_paren = token<open_paren_tag>("'('", "(");
inline const auto close_paren = token<close_paren_tag>("')'", ")");
inline const auto times = token<times_tag>("'*'", "*");

/// Spaces, line breaks and `#` comments between tokens.
inline const auto skipper = x3::rule<skipper_tag>{"whitespace"} =
    space_char | x3::lexeme['#' >> *(x3::char_ - x3::eol - x3::eoi)];

// ---- symbol tables -------------------------------------------------------------------------

/// An X3 symbol table holding the words of one vocabulary table (graft/vocabulary.hpp).
template <class Row, std::size_t N>
struct vocabulary_symbols : x3::symbols<decltype(Row::value)> {
  explicit vocabulary_symbols(const Row (&table)[N]) {
    for (const Row& r : table) this->add(std::string(r.word), r.value);
  }
};

inline const vocabulary_symbols filter_kind_words{filter_table};
inline const vocabulary_symbols count_kind_words{count_table};
inline const vocabulary_symbols shape_op_words{shape_op_table};
inline const vocabulary_symbols category_words{category_table};
inline const vocabulary_symbols plan_mode_words{plan_mode_table};
inline const vocabulary_symbols label_kind_words{label_kind_table};
inline const vocabulary_symbols fill_kind_words{fill_table};

/// Rule names built from the vocabulary (X3 keeps the pointer: these live as long as the program).
inline const std::string shape_op_rule_name = words_of(shape_op_table);
inline const std::string reshape_op_rule_name =
    "a reshape operation (dim, " + words_of(shape_op_table, ", ") + ") or '}'";
inline const std::string category_rule_name = "a category (" + words_of(category_table, ", ") + ") or labels";
inline const std::string plan_mode_rule_name = words_of(plan_mode_table);
inline const std::string filter_rule_name = words_of(filter_table);
inline const std::string count_rule_name = words_of(count_table);
/// "drop N, new N": each count word with its count.
inline const std::string counted_words = [] {
  std::string out;
  for (const auto& r : count_table) out += (out.empty() ? "" : ", ") + std::string(r.word) + " N";
  return out;
}();
inline const std::string segment_rule_name =
    "a layout segment (keep, keep N, " + counted_words + ", A -> B, (A -> B) * k, k * (A -> B))";
inline const std::string statement_rule_name = "a statement (use, " + words_of(label_kind_table, ", ") +
                                               ", map, strip, rename, " + words_of(filter_table, ", ") +
                                               ", reshape, expect, mode)";
/// "keep labels, zero labels": each fill word with its labels.
inline const std::string fill_words = [] {
  std::string out;
  for (const auto& r : fill_table) out += (out.empty() ? "" : ", ") + std::string(r.word) + " labels";
  return out;
}();
inline const std::string map_item_rule_name = "a map entry (label = source, " + fill_words + ") or '}'";
inline const std::string fill_rule_name = words_of(fill_table);
inline const std::string label_kind_rule_name = words_of(label_kind_table);

/// A symbol-table word that must end at a word boundary.
template <typename Symbols>
inline auto whole_word(Symbols const& symbols) {
  return x3::lexeme[symbols >> !(alnum_char | x3::char_('_'))];
}

// ---- rule declarations ---------------------------------------------------------------------

struct name_text_id;
struct ident_id;
struct string_body_id;
struct string_lit_id;
struct count_id;
struct dim_index_id;
struct use_id;
struct label_set_id;
struct label_file_id;
struct member_label_id;
struct map_label_id;
struct joint_source_id;
struct map_entry_id;
struct map_fill_id;
struct map_item_id;
struct map_id;
struct strip_id;
struct rename_id;
struct filter_id;
struct keep_segment_id;
struct count_segment_id;
struct joint_segment_id;
struct grouped_segment_id;
struct blocked_segment_id;
struct segment_id;
struct dim_op_id;
struct shape_op_id;
struct reshape_op_id;
struct reshape_id;
struct expect_id;
struct expect_labels_id;
struct mode_id;
struct statement_id;
struct file_id;

inline const x3::rule<name_text_id, std::string> name_text = "a name";
inline const x3::rule<ident_id, ast::ident> ident = "a name";
inline const x3::rule<string_body_id, std::string> string_body = "a quoted string";
inline const x3::rule<string_lit_id, ast::string_lit> string_lit = "a quoted string";
inline const x3::rule<count_id, std::int64_t> count = "a count (a whole number)";
inline const x3::rule<dim_index_id, std::int64_t> dim_index = "a dimension (a whole number)";
inline const x3::rule<use_id, ast::use_stmt> use_stmt = "use";
inline const x3::rule<label_set_id, ast::label_set_stmt> label_set_stmt = label_kind_rule_name.c_str();
inline const x3::rule<label_file_id, ast::label_file_stmt> label_file_stmt = label_kind_rule_name.c_str();
inline const x3::rule<member_label_id, ast::ident> member_label = "a label (a name or a quoted string)";
inline const x3::rule<map_label_id, ast::ident> map_label = "a label (a name, a quoted string or *)";
inline const x3::rule<joint_source_id, ast::joint_source> joint_source = "a label or mean(...)";
inline const x3::rule<map_entry_id, ast::map_entry> map_entry = map_item_rule_name.c_str();
inline const x3::rule<map_fill_id, ast::map_fill> map_fill = fill_rule_name.c_str();
inline const x3::rule<map_item_id, ast::map_item> map_item = map_item_rule_name.c_str();
inline const x3::rule<map_id, ast::map_stmt> map_stmt = "map";
inline const x3::rule<strip_id, ast::strip_stmt> strip_stmt = "strip";
inline const x3::rule<rename_id, ast::rename_stmt> rename_stmt = "rename";
inline const x3::rule<filter_id, ast::filter_stmt> filter_stmt = filter_rule_name.c_str();
inline const x3::rule<keep_segment_id, ast::keep_segment> keep_segment = "keep";
inline const x3::rule<count_segment_id, ast::count_segment> count_segment = count_rule_name.c_str();
inline const x3::rule<joint_segment_id, ast::joint_segment> joint_segment = "a joint layout (A -> B)";
inline const x3::rule<grouped_segment_id, ast::grouped_segment> grouped_segment =
    "a grouped joint layout ((A -> B) * k)";
inline const x3::rule<blocked_segment_id, ast::blocked_segment> blocked_segment =
    "a blocked joint layout (k * (A -> B))";
inline const x3::rule<segment_id, ast::segment> segment = segment_rule_name.c_str();
inline const x3::rule<dim_op_id, ast::dim_op> dim_op = "dim";
inline const x3::rule<shape_op_id, ast::shape_op> shape_op = shape_op_rule_name.c_str();
inline const x3::rule<reshape_op_id, ast::reshape_op> reshape_op = reshape_op_rule_name.c_str();
inline const x3::rule<reshape_id, ast::reshape_stmt> reshape_stmt = "reshape";
inline const x3::rule<expect_id, ast::expect_stmt> expect_stmt = "expect";
inline const x3::rule<expect_labels_id, ast::expect_labels_stmt> expect_labels_stmt = "expect labels";
inline const x3::rule<mode_id, ast::mode_stmt> mode_stmt = "mode";
inline const x3::rule<statement_id, ast::statement> statement = statement_rule_name.c_str();
inline const x3::rule<file_id, ast::file> file = "a rules file";

// ---- rule definitions ----------------------------------------------------------------------

inline const auto closing_quote = x3::rule<closing_quote_tag>{"a closing '\"' on the same line"} = x3::lit('"');
inline const auto escape = x3::rule<escape_tag, char>{"an escape (\\\" \\\\ \\n \\t)"} =
    x3::char_('"') | x3::char_('\\') | (x3::lit('n') >> x3::attr('\n')) | (x3::lit('t') >> x3::attr('\t'));

inline const auto name_text_def = x3::lexeme[(alpha_char | x3::char_('_')) >> *(alnum_char | x3::char_('_'))];
inline const auto ident_def = here >> name_text;
inline const auto string_body_def = x3::lexeme['"' > *(('\\' > escape) | ~x3::char_("\"\\\n\r")) > closing_quote];
inline const auto string_lit_def = here >> string_body;
/// One or more quoted strings separated by commas (a list may span lines).
inline const auto string_list = x3::rule<struct string_list_tag, std::vector<ast::string_lit>>{
    "a quoted string"} = string_lit > *(',' > string_lit);
inline const auto count_def = whole_number_parser<false>{"count"};
inline const auto dim_index_def = whole_number_parser<true>{"dimension"};

inline const auto use_stmt_def = here >> keyword("use") > string_lit;
/// One or more names separated by commas.
inline const auto ident_list = x3::rule<struct ident_list_tag, std::vector<ast::ident>>{"a name"} = ident >
                                                                                                    *(',' > ident);
/// A label: a name or a quoted string (a label file's members may be anything: graft/rules/label_file.hpp).
inline const auto member_label_def = here >> (name_text | string_body);
/// A label in a map block: also `*` (every label; its text is empty, which no label can be).
inline const auto map_label_def = here >> (name_text | string_body | (x3::lit('*') >> x3::attr(std::string())));
/// One or more labels separated by commas.
inline const auto member_list = x3::rule<struct member_list_tag, std::vector<ast::ident>>{
    "a label (a name or a quoted string)"} = member_label > *(',' > member_label);
inline const auto map_label_list = x3::rule<struct map_label_list_tag, std::vector<ast::ident>>{
    "a label (a name, a quoted string or *)"} = map_label > *(',' > map_label);
/// The `=` of a label set, where `from "file"` could also stand.
inline const auto set_equals = x3::rule<struct set_equals_tag>{"'= [labels]' or 'from \"file\"'"} = x3::lit('=');
inline const auto label_file_stmt_def = here >> whole_word(label_kind_words) >> ident >> keyword("from") > string_lit;
inline const auto label_set_stmt_def = here >> whole_word(label_kind_words) > ident > set_equals > open_bracket
                                       > member_list > close_bracket;
inline const auto joint_source_def = (keyword("mean") >> x3::attr(true) > open_paren > map_label_list > close_paren) |
                                     (x3::attr(false) >> x3::repeat(1)[map_label]);
inline const auto map_entry_def = map_label > equals > joint_source;
inline const auto map_fill_def = here >> whole_word(fill_kind_words) > map_label_list;
inline const auto map_item_def = map_fill | map_entry;
/// `{ item [;|,] ... }`: the body of a map block (and of `expect labels`).
inline const auto map_body = x3::rule<struct map_body_tag, std::vector<ast::map_item>>{
    "'{'"} = open_brace > *(((!x3::lit('}')) > map_item) >> -(x3::lit(';') | x3::lit(','))) > close_brace;
inline const auto map_stmt_def = here >> keyword("map") > ident > arrow > ident > map_body;
inline const auto strip_stmt_def = here >> keyword("strip") > string_lit;
inline const auto rename_stmt_def = here >> keyword("rename") > string_lit > arrow > string_lit;
inline const auto filter_stmt_def = here >> whole_word(filter_kind_words) > string_list;

inline const auto keep_segment_def = here >> keyword("keep") >> -count;
inline const auto count_segment_def = here >> whole_word(count_kind_words) > count;
inline const auto joint_segment_def = here >> ident > arrow > ident;
inline const auto grouped_segment_def = here >> '(' > ident > arrow > ident > close_paren > times > count;
inline const auto blocked_segment_def = here >> count >> '*' > open_paren > ident > arrow > ident > close_paren;
inline const auto segment_def = keep_segment | count_segment | grouped_segment | blocked_segment | joint_segment;
inline const auto segment_list = x3::rule<struct segment_list_tag, std::vector<ast::segment>>{
    segment.name} = segment > *(',' > segment);
inline const auto dim_op_def = here >> keyword("dim") > dim_index > equals > segment_list;
inline const auto shape_op_def = here >> whole_word(shape_op_words) >> *dim_index;
inline const auto reshape_op_def = dim_op | shape_op;
inline const auto reshape_stmt_def = here >> keyword("reshape") > string_lit > open_brace >
                                     *(((!x3::lit('}')) > reshape_op) >> -x3::lit(';')) > close_brace;
inline const auto category_word = x3::rule<struct category_word_tag, ast::category>{category_rule_name.c_str()} =
    whole_word(category_words);
inline const auto mode_word = x3::rule<struct mode_word_tag, ast::plan_mode>{plan_mode_rule_name.c_str()} =
    whole_word(plan_mode_words);
inline const auto expect_stmt_def = here >> keyword("expect") > category_word > string_list;
inline const auto dim_word = x3::rule<struct dim_word_tag>{"dim (dim D = A -> B)"} = keyword("dim");
inline const auto expect_labels_stmt_def = here >> (keyword("expect") >> keyword("labels")) > string_list > here
                                           > dim_word > dim_index > equals > ident > arrow > ident > map_body;
inline const auto mode_stmt_def = here >> keyword("mode") > mode_word;
inline const auto statement_def = use_stmt | label_file_stmt | label_set_stmt | map_stmt | strip_stmt | rename_stmt |
                                  filter_stmt | reshape_stmt | expect_labels_stmt | expect_stmt | mode_stmt;
inline const auto file_def = *((!x3::eoi) > statement);

BOOST_SPIRIT_DEFINE(name_text, ident, string_body, string_lit, count, dim_index, use_stmt, label_set_stmt,
                    label_file_stmt, member_label, map_label, joint_source, map_entry, map_fill, map_item, map_stmt,
                    strip_stmt, rename_stmt, filter_stmt, keep_segment, count_segment, joint_segment, grouped_segment,
                    blocked_segment, segment, dim_op, shape_op, reshape_op, reshape_stmt, expect_labels_stmt,
                    expect_stmt, mode_stmt, statement, file)

}  // namespace graft::dsl::grammar
