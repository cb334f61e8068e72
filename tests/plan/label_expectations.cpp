// `expect labels "pattern" dim D = A -> B { ... }`: where each destination label's rows come from,
// checked on the plan's index lists on every plan.

#include <graft/plan/planner.hpp>

#include "plan/plan_helpers.hpp"
#include "support/catch.hpp"

using test::t;

namespace {
const char* const sets = R"(joints a = [x, y, z]
joints b = [z, x, w]
)";
graft::tensor_set tensors(std::int64_t rows) { return {t("fc.weight", {rows, 4}), t("fc.bias", {rows})}; }
}  // namespace

TEST_CASE("expect labels holds when every row comes from where it says", "[plan][labels][expect]") {
  auto r = test::rules_text(std::string(sets) + R"(map a -> b { w = mean(x, y) }
reshape "fc.{weight,bias}" { dim 0 = a -> b }
expect labels "fc.{weight,bias}" dim 0 = a -> b { w = mean(y, x) }
)");
  auto p = graft::make_plan(r, tensors(3), tensors(3));
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK(p.problems.empty());
}

TEST_CASE("expect labels fails naming the label, its row, what it takes and what was expected",
          "[plan][labels][expect]") {
  SECTION("a label the map fills but the expectation keeps") {
    auto r = test::rules_text(std::string(sets) + R"(map a -> b { w = y }
reshape "fc.{weight,bias}" { dim 0 = a -> b }
expect labels "fc.bias" dim 0 = a -> b { keep w }
)");
    auto p = graft::make_plan(r, tensors(3), tensors(3));
    CHECK(test::has_problem(p, test::error,
                            "test.graft:5:15: expect labels \"fc.bias\" dim 0 = a -> b failed: 'fc.bias' b 'w' (row 2) "
                            "takes a 'y', expected no source (kept)"));
  }
  SECTION("a misspelled reshape alternative leaves a tensor copied, not mapped") {
    auto r = test::rules_text(std::string(sets) + R"(map a -> b { keep w }
reshape "fc.{weights,bias}" { dim 0 = a -> b }
expect labels "fc.{weight,bias}" dim 0 = a -> b { keep w }
)");
    graft::tensor_set same = tensors(3);
    auto p = graft::make_plan(r, same, same);
    CHECK(test::has_problem(p, test::error, "'fc.weight' is copied, not mapped by a layout"));
  }
  SECTION("a layout on another dim") {
    auto r = test::rules_text(std::string(sets) + R"(map a -> b { keep w }
reshape "m" { dim 1 = a -> b }
expect labels "m" dim 0 = a -> b { keep w }
)");
    auto p = graft::make_plan(r, {t("m", {3, 3})}, {t("m", {3, 3})});
    CHECK(test::has_problem(p, test::error, "'m' has no layout on dim 0 (its layouts: dim 1)"));
  }
  SECTION("a layout between other sets") {
    auto r = test::rules_text(std::string(sets) + R"(joints c = [z, y, x]
reshape "m" { dim 0 = a -> c }
expect labels "m" dim 0 = a -> b { keep w }
)");
    auto p = graft::make_plan(r, {t("m", {3})}, {t("m", {3})});
    CHECK(test::has_problem(p, test::error, "'m' dim 0 segment 1 is a -> c"));
  }
  SECTION("no tensor matches") {
    auto r = test::rules_text(std::string(sets) + R"(map a -> b { keep w }
reshape "fc.{weight,bias}" { dim 0 = a -> b }
expect labels "head.*" dim 0 = a -> b { keep w }
)");
    auto p = graft::make_plan(r, tensors(3), tensors(3));
    CHECK(test::has_problem(p, test::error, "failed: no destination tensor matches"));
  }
}

TEST_CASE("expect labels reads grouped and blocked layouts row by row", "[plan][labels][expect]") {
  auto r = test::rules_text(std::string(sets) + R"(map a -> b { keep w }
reshape "g" { dim 0 = (a -> b) * 2 }
reshape "k" { dim 0 = keep 1, 2 * (a -> b) }
expect labels "g", "k" dim 0 = a -> b { keep w }
)");
  auto p = graft::make_plan(r, {t("g", {6}), t("k", {7})}, {t("g", {6}), t("k", {7})});
  INFO(test::problems(p));
  CHECK(p.ok());
  auto wrong = test::rules_text(std::string(sets) + R"(map a -> b { keep w }
reshape "g" { dim 0 = (a -> b) * 2 }
expect labels "g" dim 0 = a -> b { keep w; z = x }
)");
  auto q = graft::make_plan(wrong, {t("g", {6})}, {t("g", {6})});
  CHECK(test::has_problem(q, test::error, "'g' b 'z' (row 0) takes a 'z', expected a 'x'"));
}
