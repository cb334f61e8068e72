// Root-cause diagnostics: misspelled {a,b} alternatives with a did-you-mean (an error when the meant
// tensor escaped the rule), layout-fit hints, shape hints, keeps that sources override, renames that
// collapse names, includes an exclude overrides, stale expectations, renamed modules, and how the report
// and JSON show problems about rules (the rule's line and a caret; subject, tensor, file, line, column).

#include "plan/plan_helpers.hpp"

#include "support/catch.hpp"

#include <graft/plan/json.hpp>
#include <graft/plan/report.hpp>

#include <string>

using graft::category;
using graft::plan_problem;
using test::error;
using test::has_problem;
using test::t;
using test::warning;

namespace {
const plan_problem* problem_with(const graft::plan& p, const std::string& text) {
  for (const auto& x : p.problems)
    if (x.message.find(text) != std::string::npos) return &x;
  return nullptr;
}
}  // namespace

TEST_CASE("a misspelled reshape alternative whose tensor is copied unpermuted fails without --strict-rules",
          "[plan][root_causes]") {
  const auto rules =
      test::rules_text("joints a = [x, y]\njoints b = [y, x]\nreshape \"fc.{weights,bias}\" { dim 0 = a -> b }\n");
  const graft::tensor_set fc{t("fc.weight", {2, 3}), t("fc.bias", {2})};
  auto p = graft::make_plan(rules, fc, fc);
  INFO(test::problems(p));
  CHECK_FALSE(p.ok());
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems.front().message ==
        "test.graft:3:14: alternative \"weights\" of reshape \"fc.{weights,bias}\" matches no tensor (did you mean "
        "\"weight\"? 'fc.weight' is copied unchanged while 'fc.bias' is reordered by this rule)");
  CHECK(p.problems.front().level == error);
  // Spelled right, the plan is ok and both are reordered.
  auto q = graft::make_plan(
      test::rules_text("joints a = [x, y]\njoints b = [y, x]\nreshape \"fc.{weight,bias}\" { dim 0 = a -> b }\n"), fc,
      fc);
  CHECK(q.ok());
  CHECK(q.count(category::mapped) == 2);
}

TEST_CASE("a misspelled alternative without evidence of a wrong result stays a warning, with a did-you-mean",
          "[plan][root_causes]") {
  const graft::tensor_set fc{t("fc.weight", {2}), t("fc.bias", {2})};
  // The rule only views equal shapes: the copy gives the same elements.
  auto p = graft::make_plan(test::rules_text("reshape \"fc.{weights,bias}\" { view }\n"), fc, fc);
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK(has_problem(p, warning,
                    "alternative \"weights\" of reshape \"fc.{weights,bias}\" matches no tensor (did you "
                    "mean \"weight\"?)"));
  // An expectation the meant tensor satisfies anyway.
  auto q = graft::make_plan(test::rules_text("expect copied \"fc.{weight,bais}\"\n"), fc, fc);
  CHECK(q.ok());
  CHECK(has_problem(q, warning,
                    "alternative \"bais\" of expect copied \"fc.{weight,bais}\" matches no tensor (did "
                    "you mean \"bias\"?)"));
  // A keep: the meant tensor gets no source, which is its own error.
  auto k = graft::make_plan(test::rules_text("keep \"head.{w,bb}\"\n"), {t("a", {1})},
                            {t("a", {1}), t("head.w", {1}), t("head.b", {1})});
  CHECK(has_problem(k, warning, "alternative \"bb\" of keep \"head.{w,bb}\" matches no tensor (did you mean \"b\"?)"));
  CHECK(has_problem(k, error, "destination tensor 'head.b' [1] float32 gets no source"));
  // Numbers are not typos: no did-you-mean for "5" next to "4".
  auto r = graft::make_plan(test::rules_text("expect copied \"l.{4,5}.w\"\n"), {t("l.4.w", {1}), t("l.6.w", {1})},
                            {t("l.4.w", {1}), t("l.6.w", {1})});
  CHECK(has_problem(r, warning, "alternative \"5\" of expect copied \"l.{4,5}.w\" matches no tensor (every match"));
}

TEST_CASE("misspelled alternatives of exclude, include, rename and expect fail when the meant tensor escapes",
          "[plan][root_causes]") {
  const graft::tensor_set src{t("head.w", {2}), t("head.b", {2}), t("body.w", {2})};
  auto ex = graft::make_plan(test::rules_text("exclude \"head.{w,bb}\"\nkeep \"head.*\"\n"), src, src);
  INFO(test::problems(ex));
  CHECK(has_problem(ex, error,
                    "alternative \"bb\" of exclude \"head.{w,bb}\" matches no tensor (did you mean \"b\"? "
                    "'head.b' is copied while 'head.w' is excluded by this rule)"));
  auto in = graft::make_plan(test::rules_text("include \"{body,haed}.*\"\nkeep \"**\"\n"), src, src);
  INFO(test::problems(in));
  CHECK(has_problem(in, error,
                    "alternative \"haed\" of include \"{body,haed}.*\" matches no tensor (did you mean "
                    "\"head\"? 'head.w' is excluded (it matches no include pattern) while 'body.w' is let "
                    "through by this rule)"));
  auto rn = graft::make_plan(test::rules_text("rename \"{body,haed}.w\" -> \"x.$1.w\"\nkeep \"**\"\n"), src,
                             {t("head.w", {2}), t("head.b", {2}), t("x.body.w", {2})});
  INFO(test::problems(rn));
  CHECK(has_problem(rn, error,
                    "alternative \"haed\" of rename \"{body,haed}.w\" -> \"x.$1.w\" matches no tensor (did "
                    "you mean \"head\"? 'head.w' is copied into 'head.w' without this rename while "
                    "'body.w' is renamed to 'x.body.w' by this rule)"));
  auto xp = graft::make_plan(test::rules_text("exclude \"head.b\"\nkeep \"head.b\"\nexpect copied \"head.{w,bb}\"\n"),
                             src, src);
  INFO(test::problems(xp));
  CHECK(has_problem(xp, error,
                    "alternative \"bb\" of expect copied \"head.{w,bb}\" matches no tensor (did you mean "
                    "\"b\"? 'head.b' is kept, not copied, and this expectation does not check it)"));
}

TEST_CASE("a layout that does not fit names the likely mistake, with the rule's line", "[plan][root_causes]") {
  const std::string sets = "joints k3 = [a, b, c]\njoints k2 = [c, a]\njoints k4 = [a, b, c, d]\n";
  const auto plan_of = [&](const std::string& rule, graft::shape_t from, graft::shape_t onto) {
    return graft::make_plan(test::rules_text(sets + rule), {t("h.w", std::move(from))}, {t("h.w", std::move(onto))});
  };
  auto dim = plan_of("reshape \"h.w\" { dim 1 = k3 -> k2 }\n", {3, 8}, {2, 8});
  INFO(test::problems(dim));
  const plan_problem* x = problem_with(dim, "layout does not fit");
  REQUIRE(x);
  CHECK(x->about == plan_problem::subject::rule);
  CHECK(x->tensor == "h.w");
  CHECK(x->where.line() == 4);
  CHECK(x->message.find("(dim 0 has 3 -> 2 rows, which this layout fits: did you mean dim 0?)") != std::string::npos);
  auto turned = plan_of("reshape \"h.w\" { dim 0 = k2 -> k3 }\n", {3}, {2});
  CHECK(has_problem(turned, error,
                    "(turned round, the maps fit: is a `->` written the wrong way? did you mean k3 -> "
                    "k2?)"));
  auto set = plan_of("reshape \"h.w\" { dim 0 = k3 -> k4 }\n", {3}, {2});
  CHECK(has_problem(set, error, "(did you mean k3 -> k2? k2 has 2 joints)"));
  auto keep = plan_of("reshape \"h.w\" { dim 0 = keep 3, k3 -> k2 }\n", {5}, {4});
  CHECK(has_problem(keep, error, "(keep 2 fits where keep 3 stands: or write keep without a count"));
  auto none = plan_of("reshape \"h.w\" { dim 0 = k3 -> k2 }\n", {7}, {9});
  INFO(test::problems(none));
  const plan_problem* y = problem_with(none, "layout does not fit");
  REQUIRE(y);
  CHECK(y->message.back() == ')');
  CHECK(y->message.find("did you mean") == std::string::npos);
}

TEST_CASE("shapes that differ without a rule hint the transpose or the view", "[plan][root_causes]") {
  auto p = graft::make_plan(test::rules_text(""), {t("fc.weight", {8, 4})}, {t("fc.weight", {4, 8})});
  CHECK(has_problem(p, error,
                    "shapes differ and no reshape rule matches (the source is the destination transposed, "
                    "as a Linear weight stored in the other layout: reshape \"fc.weight\" { transpose 0 1 })"));
  auto q = graft::make_plan(test::rules_text(""), {t("fc.weight", {10, 4, 1, 1})}, {t("fc.weight", {10, 4})});
  CHECK(has_problem(q, error, "(both hold 40 elements: if only the rank differs, reshape \"fc.weight\" { view })"));
  auto r = graft::make_plan(test::rules_text(""), {t("fc.weight", {10, 4})}, {t("fc.weight", {10, 5})});
  CHECK(has_problem(r, error, "shapes differ and no reshape rule matches"));
  CHECK_FALSE(has_problem(r, error, "(both hold"));
}

TEST_CASE("a rename template without a capture that gives several tensors one name fails at the rule",
          "[plan][root_causes]") {
  auto p = graft::make_plan(test::rules_text("rename \"model.**\" -> \"net.1\"\n"),
                            {t("model.a.w", {1}), t("model.b.w", {1})}, {t("net.a.w", {1}), t("net.b.w", {1})});
  INFO(test::problems(p));
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems.front().message ==
        "test.graft:1:1: rename \"model.**\" -> \"net.1\" gives the 2 tensors it matches one name, 'net.1': its "
        "template uses none of the pattern's 1 capture (did you mean \"net.$1\"?)");
  // One tensor renamed by a fixed template is fine.
  auto q = graft::make_plan(test::rules_text("rename \"old.w\" -> \"new.w\"\n"), {t("old.w", {1})}, {t("new.w", {1})});
  CHECK(q.ok());
}

TEST_CASE("an include that an exclude overrides says so, as an error", "[plan][root_causes]") {
  auto p = graft::make_plan(test::rules_text("include \"a.*\", \"fc.*\"\nexclude \"fc.*\"\nkeep \"fc.*\"\n"),
                            {t("a.w", {1}), t("fc.w", {1})}, {t("a.w", {1}), t("fc.w", {1})});
  INFO(test::problems(p));
  CHECK_FALSE(p.ok());
  CHECK(has_problem(p, error,
                    "test.graft:1:16: include \"fc.*\" lets no tensor through: every name it matches is "
                    "dropped by exclude \"fc.*\" (test.graft:2:9), and exclude always wins"));
}

TEST_CASE("a destination expectation naming a tensor by its name before a rename says what it became",
          "[plan][root_causes]") {
  auto p = graft::make_plan(test::rules_text("rename \"head.**\" -> \"cls.$1\"\nexpect copied \"head.w\"\n"),
                            {t("head.w", {1})}, {t("cls.w", {1})});
  CHECK(has_problem(p, error,
                    "expect copied \"head.w\" failed: no destination tensor matches; 'head.w' is renamed to "
                    "'cls.w' (this category names destination tensors: did you mean 'cls.w'?)"));
}

TEST_CASE("a module renamed in the new model is named, also in lenient mode", "[plan][root_causes]") {
  const graft::tensor_set src{t("stem.w", {3}), t("head.w", {4, 2}), t("head.b", {4})};
  const graft::tensor_set dst{t("stem.w", {3}), t("kp_head.w", {4, 2}), t("kp_head.b", {4})};
  graft::plan_options lenient;
  lenient.lenient = true;
  auto p = graft::make_plan(test::rules_text(""), src, dst, lenient);
  INFO(test::problems(p));
  CHECK_FALSE(p.ok());
  REQUIRE_FALSE(p.problems.empty());
  CHECK(p.problems.front().message.find("the unused source tensors 'head.*' and the unfilled destination tensors "
                                        "'kp_head.*' pair one to one (2 of the same names and shapes): write rename "
                                        "\"head.**\" -> \"kp_head.$1\"") == 0);
  // Shapes that differ are no such pair: lenient leaves them as warnings.
  auto q = graft::make_plan(test::rules_text(""), src, {t("stem.w", {3}), t("kp_head.w", {5, 2}), t("kp_head.b", {5})},
                            lenient);
  CHECK(q.ok());
}

TEST_CASE("the report shows a rule problem's line and caret, and JSON gives subject, tensor and place",
          "[plan][root_causes]") {
  const auto rules = test::rules_text("exclude \"nothing.*\", \"fc.*\"\n");
  auto p = graft::make_plan(rules, {t("a", {1}), t("fc.w", {1}), t("x", {1})}, {t("a", {1})});
  const std::string report = graft::format_report(p);
  INFO(report);
  CHECK(report.find("  warning: test.graft:1:9: exclude \"nothing.*\" matches no tensor\n"
                    "      exclude \"nothing.*\", \"fc.*\"\n"
                    "              ^\n") != std::string::npos);
  // The deciding exclude once, not twice.
  CHECK(report.find("excluded by exclude \"fc.*\"\n") != std::string::npos);
  CHECK(report.find("excluded by exclude \"fc.*\"; exclude") == std::string::npos);
  const std::string json = graft::format_json(p);
  CHECK(json.find("\"message\":\"test.graft:1:9: exclude \\\"nothing.*\\\" matches no tensor\",\"subject\":\"rule\","
                  "\"file\":\"test.graft\",\"line\":1,\"column\":9}") != std::string::npos);
  CHECK(json.find("\"subject\":\"tensor\",\"tensor\":\"x\",\"group\":\"unused source tensors") != std::string::npos);
}

TEST_CASE("source-side groups of the report use the names the rules see", "[plan][root_causes]") {
  graft::tensor_set src, dst;
  for (int i = 0; i < 30; ++i) {
    src.push_back(t("module.old." + std::to_string(i) + ".w", {1}));
    src.push_back(t("module.keep." + std::to_string(i) + ".w", {1}));
    dst.push_back(t("keep." + std::to_string(i) + ".w", {1}));
  }
  auto p = graft::make_plan(test::rules_text("strip \"module.\"\nexclude \"old.**\"\n"), src, dst);
  INFO(test::problems(p));
  CHECK(p.ok());
  const std::string report = graft::format_report(p);
  INFO(report);
  CHECK(report.find("\n  old.**                                      30  exclude \"old.**\"\n") != std::string::npos);
  CHECK(report.find("module.**") == std::string::npos);
}
