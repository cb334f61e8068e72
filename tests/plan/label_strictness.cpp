// Label-level strictness: a destination label that a used map leaves without a source must be
// acknowledged (`keep` in the map); the report lists every map's kept and dropped labels by name.

#include <graft/plan/json.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>

#include "plan/plan_helpers.hpp"
#include "support/catch.hpp"

using test::t;

namespace {
// A 10-class head cut from a 12-class one: `golden_retreiver` is misspelled in the destination set.
const char* const classes =
    R"(joints animals = [cat, dog, golden_retriever, tabby, lion, tiger, bear, wolf, fox, otter, seal, hare]
joints pets = [dog, cat, golden_retreiver, tabby, hare, fox, otter, seal, wolf, bear]
)";
graft::tensor_set head(std::int64_t classes_count) {
  return {t("fc.weight", {classes_count, 8}), t("fc.bias", {classes_count})};
}
}  // namespace

TEST_CASE("a destination label without a source fails a strict plan, with a did-you-mean", "[plan][labels]") {
  auto r = test::rules_text(std::string(classes) + "reshape \"fc.{weight,bias}\" { dim 0 = animals -> pets }\n");
  auto p = graft::make_plan(r, head(12), head(10));
  CHECK_FALSE(p.ok());
  CHECK(test::has_problem(p, test::error,
                          "test.graft:3:38: animals -> pets (no map statement: every joint takes its namesake) gives "
                          "no source to pets joint 'golden_retreiver' (did you "
                          "mean 'golden_retriever', which nothing takes from animals?)"));
  CHECK(test::has_problem(p, test::error, "acknowledge it with 'map animals -> pets { keep golden_retreiver }'"));
  // The rule-level cause comes before any tensor problem.
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems.front().about == graft::plan_problem::subject::rule);
}

TEST_CASE("keep in a map acknowledges labels, and lenient plans only warn", "[plan][labels]") {
  const std::string reshape = "reshape \"fc.{weight,bias}\" { dim 0 = animals -> pets }\n";
  SECTION("acknowledged") {
    auto r = test::rules_text(std::string(classes) + "map animals -> pets { keep golden_retreiver }\n" + reshape);
    auto p = graft::make_plan(r, head(12), head(10));
    CHECK(p.ok());
    INFO(test::problems(p));
    CHECK(p.problems.empty());
  }
  SECTION("lenient") {
    auto r = test::rules_text(std::string(classes) + reshape);
    graft::plan_options o;
    o.lenient = true;
    auto p = graft::make_plan(r, head(12), head(10), o);
    CHECK(p.ok());
    CHECK(test::has_problem(p, test::warning, "gives no source to pets joint 'golden_retreiver'"));
  }
  SECTION("a declared map is named, and the fix is to its keep list") {
    auto r = test::rules_text(std::string(classes) + "map animals -> pets { hare = cat }\n" + reshape);
    auto p = graft::make_plan(r, head(12), head(10));
    CHECK(test::has_problem(p, test::error,
                            "test.graft:3:1: map animals -> pets gives no source to pets joint 'golden_retreiver'"));
    CHECK(test::has_problem(p, test::error, "add 'keep golden_retreiver' to the map, or map it"));
  }
  SECTION("keep overrides a namesake: the label keeps the destination's rows") {
    auto r = test::rules_text(std::string(classes) + "map animals -> pets { keep golden_retreiver, dog }\n" + reshape);
    auto p = graft::make_plan(r, head(12), head(10));
    CHECK(p.ok());
    const auto* e = p.for_destination("fc.bias");
    REQUIRE(e);
    REQUIRE(e->selections.size() == 1);
    CHECK(e->selections[0].kept == std::vector<std::int64_t>{0, 2});  // dog, golden_retreiver
  }
}

TEST_CASE("maps used by per-label renames are checked too", "[plan][labels]") {
  auto r = test::rules_text(R"(joints a = [x, y, z]
joints b = [z, x, w]
rename "m.<a>.**" -> "m.<b>.$2"
)");
  graft::tensor_set src = {t("m.0.w", {2}), t("m.1.w", {2}), t("m.2.w", {2})};
  graft::tensor_set dst = {t("m.0.w", {2}), t("m.1.w", {2}), t("m.2.w", {2})};
  auto p = graft::make_plan(r, src, dst);
  CHECK(test::has_problem(
      p, test::error,
      "test.graft:3:25: a -> b (no map statement: every joint takes its namesake) gives no source to b joint 'w'"));
}

TEST_CASE("the report and JSON list each used map's kept and dropped labels", "[plan][labels]") {
  auto r = test::rules_text(std::string(classes) + "map animals -> pets { keep golden_retreiver }\n" +
                            "reshape \"fc.{weight,bias}\" { dim 0 = animals -> pets }\n");
  auto p = graft::make_plan(r, head(12), head(10));
  REQUIRE(p.label_maps.size() == 1);
  const std::string report = graft::format_report(p);
  CHECK(report.find("labels:\n  animals -> pets: 9 of 10 joints; golden_retreiver kept; animals joints dropped: "
                    "golden_retriever, lion, tiger\n") != std::string::npos);
  const std::string json = graft::format_json(p);
  CHECK(
      json.find(
          R"("labels":[{"from":"animals","to":"pets","from_kind":"joints","to_kind":"joints","map_at":"test.graft:3:1","destination":[{"label":"dog","sources":["dog"],"mean_of_all":false,"fill":null,"acknowledged":false})") !=
      std::string::npos);
  CHECK(
      json.find(R"({"label":"golden_retreiver","sources":[],"mean_of_all":false,"fill":"keep","acknowledged":true})") !=
      std::string::npos);
  CHECK(json.find(R"("dropped":["golden_retriever","lion","tiger"]}])") != std::string::npos);
}

TEST_CASE("a map no rule uses is not checked and not listed", "[plan][labels]") {
  auto r = test::rules_text(std::string(classes) + "map animals -> pets { }\n");
  auto p = graft::make_plan(r, head(10), head(10));
  CHECK(p.ok());
  CHECK(p.label_maps.empty());
}
