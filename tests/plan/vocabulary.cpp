// The vocabulary tables (graft/vocabulary.hpp): complete, unambiguous, and the words the grammar,
// loader, planner and report use — each table row checked through the language itself.

#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>
#include <graft/vocabulary.hpp>

#include "support/catch.hpp"

#include <set>
#include <string>

using graft::rules::load_rules_text;

namespace {
/// Every enumerator 0..count-1 has exactly one row, and no word is used twice.
template <class Row, std::size_t N>
void check_complete(const Row (&table)[N], std::size_t count) {
  std::set<std::size_t> values;
  std::set<std::string_view> words;
  for (const Row& r : table) {
    values.insert(static_cast<std::size_t>(r.value));
    words.insert(r.word);
    CHECK(graft::value_of(table, r.word) == r.value);
    CHECK(graft::row_of(table, r.value).word == r.word);
  }
  CHECK(values.size() == N);
  CHECK(words.size() == N);
  CHECK(N == count);
  CHECK(*values.rbegin() == count - 1);
}

/// Arguments of the right count for a shape op of this arity.
std::string arguments(graft::shape_op_arity a) {
  switch (a) {
    case graft::shape_op_arity::none: return "";
    case graft::shape_op_arity::one: return " 0";
    case graft::shape_op_arity::two: return " 0 1";
    case graft::shape_op_arity::every_dim: return " 1 0";
  }
  return "";
}
}  // namespace

TEST_CASE("each vocabulary table has one row per value and distinct words") {
  check_complete(graft::category_table, 7);
  check_complete(graft::shape_op_table, 5);
  check_complete(graft::filter_table, 3);
  check_complete(graft::count_table, 2);
  check_complete(graft::plan_mode_table, 2);
  CHECK(graft::words_of(graft::plan_mode_table) == "strict or lenient");
  CHECK(graft::words_of(graft::filter_table, ", ") == "include, exclude, keep");
}

TEST_CASE("every category word is an expect category, and reports and JSON print it") {
  for (const auto& row : graft::category_table) {
    const auto rules = load_rules_text("v.graft", "expect " + std::string(row.word) + " \"a\"\n");
    REQUIRE(rules.expects.size() == 1);
    CHECK(rules.expects[0].expected == row.value);
  }
  const graft::tensor_set tensors{{"a", graft::dtype::float32, {2}, graft::tensor_role::param}};
  const auto p = graft::make_plan(load_rules_text("v.graft", ""), tensors, tensors);
  const std::string report = graft::format_report(p), json = graft::format_json(p);
  for (const auto& row : graft::category_table) {
    CHECK(report.find("  " + std::string(row.word)) != std::string::npos);
    CHECK(json.find("\"" + std::string(row.word) + "\":") != std::string::npos);
  }
}

TEST_CASE("every shape op word parses with its arity and is refused with another") {
  for (const auto& row : graft::shape_op_table) {
    const std::string op = std::string(row.word);
    const auto rules = load_rules_text("v.graft", "reshape \"a\" { " + op + arguments(row.arity) + " }\n");
    REQUIRE(rules.reshapes.size() == 1);
    REQUIRE(rules.reshapes[0].steps.size() == 1);
    CHECK(rules.reshapes[0].steps[0].what == row.value);
    CHECK(rules.reshapes[0].steps[0].text() == op + arguments(row.arity));
    const std::string wrong = row.arity == graft::shape_op_arity::none        ? " 0"
                              : row.arity == graft::shape_op_arity::every_dim ? " 0 0"
                                                                              : " 0 1 2";
    try {
      load_rules_text("v.graft", "reshape \"a\" { " + op + wrong + " }\n");
      FAIL("accepted " << op << wrong);
    } catch (const graft::rules_error& e) {
      const std::string message = e.what();
      INFO(message);
      CHECK((message.find(op + " takes " + std::string(row.takes)) != std::string::npos ||
             message.find(op + " needs each of") != std::string::npos));
    }
  }
}

TEST_CASE("every filter, count and mode word is accepted where the grammar expects it") {
  for (const auto& row : graft::filter_table)
    CHECK_NOTHROW(load_rules_text("v.graft", std::string(row.word) + " \"a.**\"\n"));
  for (const auto& row : graft::plan_mode_table)
    CHECK(load_rules_text("v.graft", "mode " + std::string(row.word) + "\n").mode == row.value);
  for (const auto& row : graft::count_table)
    CHECK_NOTHROW(load_rules_text(
        "v.graft", "joints j = [x]\nreshape \"a\" { dim 0 = " + std::string(row.word) + " 1, j -> j }\n"));
}
