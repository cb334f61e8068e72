// Planner semantics on small, hand-made name/shape sets: the numbered contract of the language.

#include "plan/plan_helpers.hpp"

#include "support/catch.hpp"

using graft::category;
using graft::dtype;
using test::error;
using test::has_problem;
using test::t;
using test::warning;

TEST_CASE("same name and shape is copied, and every tensor lands in exactly one category", "[plan][semantics]") {
  auto p = graft::make_plan(test::rules_text(""), {t("a.w", {2, 3}), t("b.w", {4})}, {t("a.w", {2, 3}), t("b.w", {4})});
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK(p.count(category::copied) == 2);
  CHECK(p.entries.size() == 2);
}

TEST_CASE("strict: unused sources and uncovered destinations fail, with did-you-mean", "[plan][semantics]") {
  auto p = graft::make_plan(test::rules_text(""), {t("head.weigth", {2})}, {t("head.weight", {2})});
  CHECK_FALSE(p.ok());
  CHECK(p.count(category::unused) == 1);
  CHECK(p.count(category::kept) == 1);
  CHECK(has_problem(p, error, "unused source tensor 'head.weigth' (did you mean 'head.weight'?)"));
  CHECK(has_problem(p, error,
                    "destination tensor 'head.weight' [2] float32 gets no source (did you mean 'head.weigth'?)"));
}

TEST_CASE("lenient (flag or mode) turns those into warnings", "[plan][semantics]") {
  graft::plan_options lenient;
  lenient.lenient = true;
  auto p = graft::make_plan(test::rules_text(""), {t("x", {2})}, {t("y", {2})}, lenient);
  CHECK(p.ok());
  CHECK(p.count(warning) == 2);
  auto q = graft::make_plan(test::rules_text("mode lenient"), {t("x", {2})}, {t("y", {2})});
  CHECK(q.ok());
  CHECK(q.lenient);
}

TEST_CASE("exclude, include and keep settle the strict findings", "[plan][semantics]") {
  auto r = test::rules_text(R"(
include "backbone.**"
exclude "**.num_batches_tracked"
keep "head.**", "**.num_batches_tracked"
)");
  auto p = graft::make_plan(
      r, {t("backbone.w", {2}), t("backbone.bn.num_batches_tracked", {}, dtype::int64), t("old_head.w", {3})},
      {t("backbone.w", {2}), t("backbone.bn.num_batches_tracked", {}, dtype::int64), t("head.w", {5})});
  INFO(test::problems(p));
  CHECK(p.ok());
  CHECK(p.problems.empty());
  CHECK(p.for_destination("backbone.w")->what == category::copied);
  CHECK(p.for_source("backbone.bn.num_batches_tracked")->what == category::excluded);
  CHECK(p.for_source("backbone.bn.num_batches_tracked")->rule == "exclude \"**.num_batches_tracked\"");
  CHECK(p.for_destination("backbone.bn.num_batches_tracked")->what == category::kept);
  CHECK(p.for_source("old_head.w")->note == "matches no include pattern");
  CHECK(p.for_destination("head.w")->what == category::kept);
  CHECK(p.for_destination("head.w")->rule_where.line() == 4);
}

TEST_CASE("a shape difference without a rule is a conflict, always an error", "[plan][semantics]") {
  graft::plan_options lenient;
  lenient.lenient = true;
  auto p = graft::make_plan(test::rules_text(""), {t("w", {17, 3})}, {t("w", {14, 3})}, lenient);
  CHECK_FALSE(p.ok());
  CHECK(p.for_destination("w")->what == category::conflict);
  CHECK(has_problem(p, error, "conflict on 'w' [17, 3] -> [14, 3]: shapes differ and no reshape rule matches"));
}

TEST_CASE("two sources landing on one destination is an error naming both", "[plan][semantics]") {
  auto p = graft::make_plan(test::rules_text("strip \"module.\""), {t("w", {2}), t("module.w", {2})}, {t("w", {2})});
  CHECK_FALSE(p.ok());
  CHECK(has_problem(p, error,
                    "two source tensors land on 'w': 'w' and 'module.w' (via strip \"module.\" at test.graft:1:1)"));
}

TEST_CASE("two reshape rules on one tensor is an error naming both", "[plan][semantics]") {
  auto r = test::rules_text(R"(joints a = [x, y]
reshape "w" { dim 0 = a -> a }
reshape "*" { dim 0 = a -> a }
)");
  auto p = graft::make_plan(r, {t("w", {2})}, {t("w", {2})});
  CHECK_FALSE(p.ok());
  CHECK(has_problem(p, error,
                    "two reshape rules match it: reshape \"w\" at test.graft:2:1 and reshape \"*\" at test.graft:3:1"));
}

TEST_CASE("a layout whose lengths do not fit fails with both shapes and each segment", "[plan][semantics]") {
  auto r = test::rules_text(R"(use "joints/coco.graft"
use "joints/crowdpose.graft"
reshape "final.weight" { dim 0 = coco -> crowdpose, keep 1 }
)");
  auto p = graft::make_plan(r, {t("final.weight", {34, 32})}, {t("final.weight", {28, 32})});
  CHECK_FALSE(p.ok());
  CHECK(p.for_destination("final.weight")->what == category::conflict);
  CHECK(has_problem(
      p, error,
      "test.graft:3:26: dim 0 layout does not fit 'final.weight' [34, 32] -> [28, 32]: the tensors have 34 -> "
      "28 rows, the segments give 18 -> 15 (coco -> crowdpose = 17 -> 14, keep 1 = 1 -> 1)"));
}

TEST_CASE("a layout applies even when the shapes are equal", "[plan][semantics]") {
  auto r = test::rules_text(R"(joints a = [x, y, z]
joints b = [z, x, y]
reshape "w" { dim 0 = a -> b }
)");
  auto p = graft::make_plan(r, {t("w", {3, 4})}, {t("w", {3, 4})});
  REQUIRE(p.ok());
  const auto* e = p.for_destination("w");
  CHECK(e->what == category::mapped);
  CHECK(e->selections[0].source_index == std::vector<std::int64_t>{2, 0, 1});
}

TEST_CASE("an undescribed dimension that differs is a conflict", "[plan][semantics]") {
  auto r = test::rules_text("joints a = [x, y]\nreshape \"w\" { dim 0 = a -> a }\n");
  auto p = graft::make_plan(r, {t("w", {2, 3})}, {t("w", {2, 4})});
  CHECK(has_problem(p, error, "dim 1 differs (3 vs 4) and reshape \"w\" gives it no layout"));
}

TEST_CASE("map overrides synthesize rows: head = nose, neck = mean(...)", "[plan][semantics]") {
  auto r = test::rules_text(R"(use "joints/coco.graft"
use "joints/crowdpose.graft"
map coco -> crowdpose { head = nose; neck = mean(left_shoulder, right_shoulder) }
reshape "hm.*" { dim 0 = coco -> crowdpose }
)");
  auto p = graft::make_plan(r, {t("hm.weight", {17, 8})}, {t("hm.weight", {14, 8})});
  INFO(test::problems(p));
  REQUIRE(p.ok());
  const auto& sel = p.for_destination("hm.weight")->selections.at(0);
  CHECK(sel.kept.empty());
  CHECK(sel.source_index.back() == 0);
  CHECK(sel.destination_index.back() == 12);
  REQUIRE(sel.means.size() == 1);
  CHECK(sel.means[0].destination == 13);
  CHECK(sel.means[0].sources == std::vector<std::int64_t>{5, 6});
  CHECK(p.for_destination("hm.weight")->note ==
        "dim 0: 14 of 14 joints, reordered; head = nose, neck = mean(left_shoulder, right_shoulder)");
}

TEST_CASE("per-joint modules: renames by joint, drops, renamed and mean synthesis", "[plan][semantics]") {
  auto r = test::rules_text(R"(joints src = [nose, ls, rs, knee]
joints dst = [ls, rs, head, neck]
map src -> dst { head = nose; neck = mean(ls, rs) }
rename "off.<src>.**" -> "off.<dst>.$2"
)");
  graft::tensor_set source, destination;
  for (int j = 0; j < 4; ++j) source.push_back(t("off." + std::to_string(j) + ".w", {2, 3}));
  for (int j = 0; j < 4; ++j) destination.push_back(t("off." + std::to_string(j) + ".w", {2, 3}));
  auto p = graft::make_plan(r, source, destination);
  INFO(test::problems(p));
  REQUIRE(p.ok());
  CHECK(p.for_destination("off.0.w")->what == category::copied);
  CHECK(p.source[*p.for_destination("off.0.w")->source].name == "off.1.w");
  const auto* head = p.for_destination("off.2.w");
  CHECK(head->what == category::synthesized);
  CHECK(head->mean_of == std::vector<std::size_t>{0});
  const auto* neck = p.for_destination("off.3.w");
  CHECK(neck->what == category::synthesized);
  CHECK(neck->mean_of == std::vector<std::size_t>{1, 2});
  CHECK(neck->note == "mean(off.1.w, off.2.w)");
  const auto* knee = p.for_source("off.3.w");
  CHECK(knee->what == category::excluded);
  CHECK(knee->note.find("joint 'knee' of src has no counterpart in dst") == 0);
}

TEST_CASE("literal reshapes: view, permute, transpose, squeeze, unsqueeze", "[plan][semantics]") {
  auto r = test::rules_text(R"(reshape "fc.weight" { view }
reshape "k.weight" { permute 3 2 0 1 }
reshape "t.weight" { transpose 0 -1 }
reshape "s.weight" { squeeze -1 unsqueeze 0 }
reshape "bad.weight" { view }
)");
  auto p = graft::make_plan(r,
                            {t("fc.weight", {10, 4, 1, 1}), t("k.weight", {3, 3, 8, 16}), t("t.weight", {2, 5}),
                             t("s.weight", {7, 1}), t("bad.weight", {3, 3})},
                            {t("fc.weight", {10, 4}), t("k.weight", {16, 8, 3, 3}), t("t.weight", {5, 2}),
                             t("s.weight", {1, 7}), t("bad.weight", {2, 4})});
  CHECK(p.for_destination("fc.weight")->what == category::mapped);
  CHECK(p.for_destination("k.weight")->what == category::mapped);
  CHECK(p.for_destination("t.weight")->what == category::mapped);
  CHECK(p.for_destination("s.weight")->what == category::mapped);
  CHECK(p.for_destination("s.weight")->steps.size() == 2);
  CHECK(p.for_destination("bad.weight")->what == category::conflict);
  CHECK(has_problem(p, error, "view: cannot view [3, 3] (9 elements) as [2, 4] (8)"));
}

TEST_CASE("dtype casts are reported, and lossy ones refused", "[plan][semantics]") {
  auto p = graft::make_plan(test::rules_text(""),
                            {t("h", {2}, dtype::float16), t("i", {2}, dtype::float32), t("n", {}, dtype::int32)},
                            {t("h", {2}), t("i", {2}, dtype::int64), t("n", {}, dtype::int64)});
  CHECK(p.for_destination("h")->what == category::copied);
  CHECK(p.for_destination("h")->cast);
  CHECK(p.for_destination("h")->note == "cast float16 -> float32");
  CHECK(p.for_destination("n")->what == category::copied);
  CHECK(p.for_destination("i")->what == category::conflict);
  CHECK(has_problem(p, error, "casting float32 to int64 could lose values"));
}

TEST_CASE("casts between PyTorch 2.x dtypes follow the same rule: no lost integers, no dropped imaginary parts",
          "[plan][semantics]") {
  const struct {
    dtype from, to;
    bool safe;
  } cases[] = {
      {dtype::uint8, dtype::uint16, true},        {dtype::uint16, dtype::uint8, false},
      {dtype::uint16, dtype::int32, true},        {dtype::uint16, dtype::int16, false},
      {dtype::uint32, dtype::uint64, true},       {dtype::uint64, dtype::int64, false},
      {dtype::int8, dtype::uint64, false},        {dtype::bool_, dtype::uint32, true},
      {dtype::uint64, dtype::float32, true},      {dtype::float8_e4m3fn, dtype::float32, true},
      {dtype::float32, dtype::float8_e5m2, true}, {dtype::float8_e5m2, dtype::int32, false},
      {dtype::float32, dtype::complex64, true},   {dtype::complex128, dtype::complex32, true},
      {dtype::complex64, dtype::float64, false},  {dtype::int64, dtype::complex128, true},
      {dtype::complex64, dtype::bool_, false},
  };
  for (const auto& c : cases) {
    INFO(graft::dtype_name(c.from) << " -> " << graft::dtype_name(c.to));
    auto p = graft::make_plan(test::rules_text(""), {t("w", {2}, c.from)}, {t("w", {2}, c.to)});
    CHECK(p.ok() == c.safe);
    if (!c.safe)
      CHECK(has_problem(p, error,
                        "casting " + std::string(graft::dtype_name(c.from)) + " to " +
                            std::string(graft::dtype_name(c.to)) + " could lose values"));
  }
}

TEST_CASE("a rule that matches nothing is a warning, an error with strict_rules", "[plan][semantics]") {
  auto r = test::rules_text("exclude \"nothing.here\"\nstrip \"module.\"\n");
  auto p = graft::make_plan(r, {t("w", {1})}, {t("w", {1})});
  CHECK(p.ok());
  CHECK(has_problem(p, warning, "test.graft:1:9: exclude \"nothing.here\" matches no tensor"));
  CHECK(p.count(warning) == 1);  // strip never warns: wrappers vary by checkpoint
  graft::plan_options strict_rules;
  strict_rules.strict_rules = true;
  auto q = graft::make_plan(r, {t("w", {1})}, {t("w", {1})}, strict_rules);
  CHECK_FALSE(q.ok());
}

TEST_CASE("keep never overrides a source, and says so when that is all it matches", "[plan][semantics]") {
  // A keep that names tensors a source fills: they are overwritten, not kept, so the plan fails.
  auto p = graft::make_plan(test::rules_text("keep \"w\""), {t("w", {1})}, {t("w", {1})});
  CHECK(p.for_destination("w")->what == category::copied);
  CHECK_FALSE(p.ok());
  CHECK(has_problem(p, error,
                    "test.graft:1:6: keep \"w\" matches only tensors that a source fills: 'w' is copied from source "
                    "'w', not kept"));
  // `keep "**"`, the acknowledgement of whatever no source fills, only warns when there is nothing left.
  auto q = graft::make_plan(test::rules_text("keep \"**\""), {t("w", {1})}, {t("w", {1})});
  CHECK(q.ok());
  CHECK(has_problem(q, warning, "test.graft:1:6: keep \"**\" matches only tensors that a source fills (keep"));
}

TEST_CASE("expect lines fail the plan naming tensor, categories and the rule", "[plan][semantics]") {
  auto r = test::rules_text(R"(expect mapped "a.*"
expect copied "a.*", "nothing.*"
expect excluded "old.*"
)");
  auto p = graft::make_plan(r, {t("a.w", {1}), t("old.w", {1})}, {t("a.w", {1}), t("old.w", {1})});
  CHECK(has_problem(p, error, "test.graft:1:15: expect mapped \"a.*\" failed: 'a.w' is copied"));
  CHECK(has_problem(p, error, "test.graft:2:22: expect copied \"nothing.*\" failed: no destination tensor matches"));
  CHECK(has_problem(p, error, "test.graft:3:17: expect excluded \"old.*\" failed: 'old.w' is copied"));
  CHECK_FALSE(has_problem(p, error, "expect copied \"a.*\""));
}

TEST_CASE("duplicate names in an input set are errors", "[plan][semantics]") {
  auto p = graft::make_plan(test::rules_text(""), {t("w", {1}), t("w", {1})}, {t("w", {1})});
  CHECK(has_problem(p, error, "source lists tensor 'w' twice"));
}

TEST_CASE("shapes of many dims are clipped in messages, keeping the dim count and both ends", "[plan][semantics]") {
  CHECK(graft::shape_str({}) == "[]");
  CHECK(graft::shape_str(graft::shape_t(16, 2)) ==
        "[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]");  // 16 dims: shown whole
  graft::shape_t many(10000, 1);
  many.front() = 7;
  many.back() = 9;
  CHECK(graft::shape_str(many) == "[7, 1, 1, 1, 1, 1, 1, 1, ... (10000 dims) ..., 1, 1, 1, 9]");

  // A hostile manifest's 10,000-dim tensor gives a message of a line, not tens of kilobytes.
  auto p = graft::make_plan(test::rules_text(""), {t("w", many)}, {t("w", {3})});
  CHECK_FALSE(p.ok());
  for (const auto& x : p.problems) {
    INFO(x.message);
    CHECK(x.message.size() < 400);
  }
}
