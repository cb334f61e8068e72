// Source-side expectations (`expect excluded`, `expect unused`) name source tensors the way `exclude`
// sees them: after the strip and rename rules. A tensor a joint rename matched (dropped or not) is
// named as that rule saw it. Every source tensor is checked, so a copied tensor fails `expect excluded`.

#include "plan/plan_helpers.hpp"

#include "support/catch.hpp"

#include <algorithm>

using graft::category;
using test::t;

namespace {
constexpr auto error = graft::plan_problem::severity::error;

bool has_problem(const graft::plan& p, graft::plan_problem::severity level, const std::string& text) {
  return std::any_of(p.problems.begin(), p.problems.end(), [&](const graft::plan_problem& x) {
    return x.level == level && x.message.find(text) != std::string::npos;
  });
}
}  // namespace

TEST_CASE("expect excluded and exclude see the same name: after strip", "[plan][expect]") {
  auto r = test::rules_text(R"(strip "module."
exclude "old.*"
expect excluded "old.*"
expect copied "w"
)");
  for (const std::string prefix : {"", "module."}) {
    INFO(prefix);
    auto p = graft::make_plan(r, {t(prefix + "w", {1}), t(prefix + "old.b", {1})}, {t("w", {1})});
    INFO(test::problems(p));
    CHECK(p.ok());
    CHECK(p.problems.empty());
  }
}

TEST_CASE("expect unused sees the name after rename", "[plan][expect]") {
  auto r = test::rules_text(R"(rename "a.**" -> "b.$1"
expect unused "b.x"
mode lenient
)");
  auto p = graft::make_plan(r, {t("a.x", {1})}, {});
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK_FALSE(has_problem(p, error, "expect"));
}

TEST_CASE("a source-side expect written with the unrouted name fails, naming the routed one", "[plan][expect]") {
  auto r = test::rules_text(R"(strip "module."
exclude "old.*"
expect excluded "module.old.*"
)");
  auto p = graft::make_plan(r, {t("module.old.b", {1})}, {});
  CHECK(has_problem(p, error,
                    "test.graft:3:17: expect excluded \"module.old.*\" failed: no source tensor matches; "
                    "'module.old.b' matches by its name in the source, but this category names source tensors "
                    "as exclude sees them, after strip and rename: 'old.b'"));
}

TEST_CASE("expect excluded on a tensor that is copied fails and names where it goes", "[plan][expect]") {
  auto r = test::rules_text(R"(strip "module."
exclude "old.a"
expect excluded "old.*"
)");
  auto p = graft::make_plan(r, {t("module.old.a", {1}), t("module.old.b", {1})}, {t("old.b", {1})});
  CHECK(has_problem(p, error,
                    "test.graft:3:17: expect excluded \"old.*\" failed: 'module.old.b' (as 'old.b') is copied"));
  CHECK_FALSE(p.ok());
}

TEST_CASE("a joint rename: dropped and copied tensors are named as the rule saw them", "[plan][expect]") {
  auto rules = R"(joints a = [x, y, z]
joints b = [z, x]
rename "m.<a>.w" -> "m.<b>.w"
expect excluded "m.1.w"
expect copied "m.{0,1}.w"
)";
  const graft::tensor_set src = {t("m.0.w", {1}), t("m.1.w", {1}), t("m.2.w", {1})};
  const graft::tensor_set dst = {t("m.0.w", {1}), t("m.1.w", {1})};
  SECTION("flat and wrapped sources agree") {
    for (const std::string prefix : {"", "module."}) {
      INFO(prefix);
      graft::tensor_set wrapped = src;
      for (auto& s : wrapped) s.name = prefix + s.name;
      auto p = graft::make_plan(test::rules_text(std::string("use \"wrappers/dataparallel.graft\"\n") + rules), wrapped,
                                dst);
      INFO(test::problems(p));
      CHECK(p.ok());
      CHECK(p.problems.empty());
      // a's y (1) has no b counterpart; m.0.w (a's x) lands on b's x (m.1.w), yet is not "m.1.w" here.
      CHECK(p.for_source(prefix + "m.1.w")->what == category::excluded);
      CHECK(p.for_source(prefix + "m.0.w")->what == category::copied);
    }
  }
  SECTION("an expect naming a joint that is copied fails") {
    auto p = graft::make_plan(test::rules_text(std::string(rules) + "expect excluded \"m.2.w\"\n"), src, dst);
    CHECK(has_problem(p, error, "expect excluded \"m.2.w\" failed: 'm.2.w' is copied into 'm.0.w'"));
  }
}
