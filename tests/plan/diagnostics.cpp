// The planner's diagnostics: every part of a pattern earns its place, a plan that moves nothing fails,
// reorders are told from the identity, problems are ranked by cause.

#include "plan/plan_helpers.hpp"

#include "support/catch.hpp"

#include <graft/plan/json.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/pattern.hpp>

using graft::category;
using graft::plan_problem;
using test::error;
using test::has_problem;
using test::t;
using test::warning;

namespace {
graft::plan_options strict_rules() {
  graft::plan_options o;
  o.strict_rules = true;
  return o;
}
}  // namespace

TEST_CASE("pattern: mark_alternatives names the alternatives a match takes", "[plan][diagnostics]") {
  const auto p = graft::rules::pattern::compile("fc.{weights,bias}.{a,b}");
  REQUIRE(p.alternatives().size() == 4);
  CHECK(p.alternatives()[0].text == "weights");
  CHECK(p.alternatives()[0].offset == 4);
  CHECK(p.alternatives()[1].offset == 12);
  CHECK(p.alternatives()[2].offset == 19);
  std::vector<bool> used(4, false);
  CHECK(p.mark_alternatives("fc.bias.b", used));
  CHECK(used == std::vector<bool>{false, true, false, true});
  CHECK_FALSE(p.mark_alternatives("fc.weight.a", used));
  CHECK(used == std::vector<bool>{false, true, false, true});
  CHECK(graft::rules::pattern::compile("a.*").alternatives().empty());
}

TEST_CASE("an alternative of a reshape that no match takes is a warning, an error with strict rules",
          "[plan][diagnostics]") {
  const auto rules = test::rules_text("reshape \"fc.{weights,bias}\" {\n  view\n}\n");
  const graft::tensor_set src{t("fc.weight", {4}), t("fc.bias", {4})};
  const graft::tensor_set dst{t("fc.weight", {4}), t("fc.bias", {4})};
  auto p = graft::make_plan(rules, src, dst);
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK(has_problem(p, warning,
                    "test.graft:1:14: alternative \"weights\" of reshape \"fc.{weights,bias}\" matches no tensor"));
  auto q = graft::make_plan(rules, src, dst, strict_rules());
  CHECK_FALSE(q.ok());
  CHECK(has_problem(q, error, "test.graft:1:14: alternative \"weights\""));
}

TEST_CASE("unused alternatives of include, exclude, keep, rename and expect patterns", "[plan][diagnostics]") {
  const auto rules = test::rules_text(
      "rename \"old.{a,x}\" -> \"new.$1\"\n"
      "include \"{new,zzz}.*\"\n"
      "exclude \"drop.{me,you}\"\n"
      "keep \"keepme.{k,q}\"\n"
      "expect copied \"new.{a,y}\"\n");
  auto p = graft::make_plan(rules, {t("old.a", {2}), t("drop.me", {2})}, {t("new.a", {2}), t("keepme.k", {2})});
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK(has_problem(p, warning, "test.graft:1:16: alternative \"x\" of rename \"old.{a,x}\" -> \"new.$1\""));
  CHECK(has_problem(p, warning, "test.graft:2:15: alternative \"zzz\" of include \"{new,zzz}.*\""));
  CHECK(has_problem(p, warning, "test.graft:3:19: alternative \"you\" of exclude \"drop.{me,you}\""));
  CHECK(has_problem(p, warning, "test.graft:4:17: alternative \"q\" of keep \"keepme.{k,q}\""));
  CHECK(has_problem(p, warning, "test.graft:5:23: alternative \"y\" of expect copied \"new.{a,y}\""));
  CHECK_FALSE(has_problem(p, warning, "alternative \"new\""));
  CHECK_FALSE(has_problem(p, warning, "alternative \"a\""));
}

TEST_CASE("a plan that moves nothing fails, naming the include list that lets nothing through first",
          "[plan][diagnostics]") {
  // `include "backbone.*"` meant `backbone.**`: every source is excluded, `keep "**"` keeps every destination.
  const auto rules = test::rules_text("include \"backbone.*\"\nkeep \"**\"\n");
  auto p = graft::make_plan(rules, {t("backbone.stage1.w", {2}), t("backbone.stage2.w", {2})},
                            {t("backbone.stage1.w", {2}), t("backbone.stage2.w", {2})});
  INFO(test::problems(p));
  CHECK_FALSE(p.ok());
  CHECK(p.count(category::copied) == 0);
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems.front().level == error);
  CHECK(p.problems.front().about == plan_problem::subject::plan);
  CHECK(p.problems.front().message ==
        "nothing is copied, mapped or synthesized: include \"backbone.*\" (test.graft:1:9) lets no tensor through");
  CHECK_FALSE(has_problem(p, warning, "include \"backbone.*\" matches no tensor"));
}

TEST_CASE("an include list of several patterns is named whole, a lenient plan that moves nothing fails too",
          "[plan][diagnostics]") {
  const auto rules = test::rules_text("include \"head.*\", \"neck.*\"\nkeep \"**\"\n");
  auto p = graft::make_plan(rules, {t("backbone.w", {2})}, {t("backbone.w", {2})});
  CHECK_FALSE(p.ok());
  CHECK(has_problem(p, error,
                    "nothing is copied, mapped or synthesized: include \"head.*\" (test.graft:1:9), include "
                    "\"neck.*\" (test.graft:1:19) let no tensor through"));
  auto lenient = graft::plan_options{};
  lenient.lenient = true;
  auto q = graft::make_plan(test::rules_text("exclude \"**\"\n"), {t("a", {2})}, {t("a", {2})});
  CHECK_FALSE(q.ok());
  CHECK(has_problem(q, error, "nothing is copied, mapped or synthesized: of 1 source tensors, 1 are excluded"));
  // Lenient: unused sources and uncovered destinations are warnings, but not an include list that is closed.
  auto r = graft::make_plan(test::rules_text("exclude \"**\"\n"), {t("a", {2})}, {t("a", {2})}, lenient);
  CHECK(r.ok());
  auto s = graft::make_plan(test::rules_text("include \"b\"\n"), {t("a", {2})}, {t("a", {2})}, lenient);
  CHECK_FALSE(s.ok());
  CHECK(has_problem(s, error, "nothing is copied, mapped or synthesized: include \"b\" (test.graft:1:9) lets no"));
}

TEST_CASE("problems are ranked: the plan, then rules, then tensors", "[plan][diagnostics]") {
  const auto rules = test::rules_text("exclude \"final_layer.**\"\n");
  auto p =
      graft::make_plan(rules, {t("a", {2}), t("final_layers.0.w", {2}), t("final_layers.1.w", {2})}, {t("a", {2})});
  REQUIRE(p.problems.size() == 3);
  CHECK(p.problems[0].about == plan_problem::subject::rule);
  CHECK(p.problems[0].message == "test.graft:1:9: exclude \"final_layer.**\" matches no tensor");
  CHECK(p.problems[1].about == plan_problem::subject::tensor);
}

TEST_CASE("a layout that permutes its joints is reported as reordered, the identity is not", "[plan][diagnostics]") {
  const auto rules = test::rules_text(
      "joints a = [x, y, z]\njoints b = [z, y, x]\njoints c = [x, y, z]\njoints d = [x, z]\n"
      "reshape \"rev.*\" {\n  dim 0 = a -> b\n}\nreshape \"same.*\" {\n  dim 0 = a -> c\n}\n"
      "reshape \"sub.*\" {\n  dim 0 = a -> d\n}\n");
  auto p = graft::make_plan(rules, {t("rev.w", {3}), t("same.w", {3}), t("sub.w", {3})},
                            {t("rev.w", {3}), t("same.w", {3}), t("sub.w", {2})});
  INFO(test::problems(p));
  REQUIRE(p.ok());
  const auto* rev = p.for_destination("rev.w");
  const auto* same = p.for_destination("same.w");
  const auto* sub = p.for_destination("sub.w");
  CHECK(rev->note == "dim 0: 3 of 3 joints, reordered");
  CHECK(same->note == "dim 0: 3 of 3 joints");
  CHECK(sub->note == "dim 0: 2 of 2 joints");
  CHECK(graft::reorders(rev->selections.at(0)));
  CHECK_FALSE(graft::reorders(same->selections.at(0)));
  CHECK_FALSE(graft::reorders(sub->selections.at(0)));
}

TEST_CASE("root causes: a prefix every unused source shares, an exclude that drops a destination's source",
          "[plan][diagnostics]") {
  auto p = graft::make_plan(test::rules_text(""), {t("module.a", {2}), t("module.b", {2})}, {t("a", {2}), t("b", {2})});
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems.front().about == plan_problem::subject::plan);
  CHECK(p.problems.front().message ==
        "every unused source tensor starts with 'module.', and 2 of them name a destination tensor without it: strip "
        "\"module.\" (or use \"wrappers/dataparallel.graft\")");
  auto q = graft::make_plan(test::rules_text("exclude \"head.*\"\n"), {t("a", {2}), t("head.w", {2})},
                            {t("a", {2}), t("head.w", {2})});
  CHECK(has_problem(q, error,
                    "destination tensor 'head.w' [2] float32 gets no source (keep it, or plan with --lenient): its "
                    "same-named source is excluded by exclude \"head.*\" (test.graft:1:9)"));
}

TEST_CASE("the report folds alike tensor problems into one line with counts, JSON lists each", "[plan][diagnostics]") {
  graft::tensor_set src{t("a", {2})}, dst{t("a", {2})};
  for (int i = 0; i < 30; ++i) src.push_back(t("final_layers." + std::to_string(i) + ".w", {2}));
  auto p = graft::make_plan(test::rules_text(""), src, dst);
  CHECK(p.count(error) == 30);
  const std::string report = graft::format_report(p);
  CHECK_THAT(report, test::Contains("error: 30 unused source tensors (exclude them, or plan with --lenient): "
                                    "final_layers.** (30)\n"));
  CHECK(report.find("unused source tensor 'final_layers.0.w'") == std::string::npos);
  CHECK(graft::format_json(p).find("unused source tensor 'final_layers.29.w'") != std::string::npos);
}

TEST_CASE("a reshape whose destination exists but no source reaches says so, not 'matches no tensor'",
          "[plan][diagnostics]") {
  auto p = graft::make_plan(test::rules_text("reshape \"head.w\" {\n  view\n}\n"), {t("a", {2}), t("head.v", {2})},
                            {t("a", {2}), t("head.w", {2})});
  CHECK(has_problem(p, warning,
                    "test.graft:1:1: reshape \"head.w\" matches destination tensor 'head.w' but no source tensor "
                    "reaches it"));
  CHECK_FALSE(has_problem(p, warning, "matches no tensor"));
}
