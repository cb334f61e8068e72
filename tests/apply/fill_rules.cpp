// The fill rules of map blocks, checked by value in the host executor (records): labels with no source
// keep the destination's values (`keep`), become zeros (`zero`), the mean of given labels, the mean of
// every source label (`mean(*)`), a copy of a named label, and `*` for every label left without a
// source. Expected rows are computed here from the label names, not with graft's map code. The LibTorch
// executor is checked against this one in tests/torch/apply.cpp.

#include "apply/record_helpers.hpp"

#include <graft/apply/records.hpp>
#include <graft/plan/explain.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/report.hpp>

#include "support/catch.hpp"

#include <map>
#include <string>
#include <vector>

using graft::io::tensor_record;
using namespace test::apply;

namespace {

const std::vector<std::string> source_labels = {"the", "cat", "sat", "on"};
/// Each source label's row of the embedding: (i + 1, 10 (i + 1)) for label i.
std::vector<float> source_row(const std::string& label) {
  for (std::size_t i = 0; i < source_labels.size(); ++i)
    if (source_labels[i] == label) return {float(i + 1), float(10 * (i + 1))};
  FAIL("no source label " << label);
  return {};
}
std::vector<float> mean_of(const std::vector<std::string>& labels) {
  std::vector<float> out(2, 0.0f);
  for (const auto& l : labels) {
    const auto r = source_row(l);
    out[0] += r[0];
    out[1] += r[1];
  }
  out[0] /= float(labels.size());
  out[1] /= float(labels.size());
  return out;
}

std::vector<float> embedding(const std::vector<std::vector<float>>& rows) {
  std::vector<float> out;
  for (const auto& r : rows) out.insert(out.end(), r.begin(), r.end());
  return out;
}

/// Row `i` of a [N, 2] float record.
std::vector<float> row(const tensor_record& r, std::size_t i) {
  const auto v = floats(r);
  return {v[2 * i], v[2 * i + 1]};
}

}  // namespace

TEST_CASE("fill rules: keep, zero, a copy, a mean of given labels and mean(*) by value", "[apply][fill]") {
  const std::string rules = R"(labels old = [the, cat, sat, on]
labels new = [cat, "new token", the, gone, stays, "sat again", both, on]
map old -> new {
  "new token" = mean(*)
  zero gone
  keep stays
  "sat again" = sat
  both = mean(the, on)
}
reshape "emb.weight" { dim 0 = old -> new }
)";
  std::vector<tensor_record> src = {f32(
      "emb.weight", {4, 2}, embedding({source_row("the"), source_row("cat"), source_row("sat"), source_row("on")}))};
  std::vector<float> templ(16);
  for (std::size_t i = 0; i < templ.size(); ++i) templ[i] = -1.0f - float(i);
  std::vector<tensor_record> dst = {f32("emb.weight", {8, 2}, templ)};
  const auto p = plan_for(rules, src, dst);
  const auto out = graft::apply_records(p, src, dst);
  REQUIRE(out.size() == 1);
  CHECK(row(out[0], 0) == source_row("cat"));
  CHECK(row(out[0], 1) == mean_of(source_labels));
  CHECK(row(out[0], 2) == source_row("the"));
  CHECK(row(out[0], 3) == std::vector<float>{0, 0});
  CHECK(row(out[0], 4) == std::vector<float>{templ[8], templ[9]});  // kept: the destination's own row
  CHECK(row(out[0], 5) == source_row("sat"));
  CHECK(row(out[0], 6) == mean_of({"the", "on"}));
  CHECK(row(out[0], 7) == source_row("on"));

  // The report, explain and JSON say what each row gets.
  const std::string report = graft::format_report(p);
  CHECK_THAT(report, test::Contains("old -> new: 6 of 8 labels; sat again = sat, both = mean(the, on); "
                                    "new token = mean(*); stays kept; gone zeroed"));
  const std::string explained = graft::explain(test::rules_text(rules), set_of(src), set_of(dst), "emb.weight");
  CHECK_THAT(explained, test::Contains("destination row 1 = mean of source rows [0, 1, 2, 3]"));
  CHECK_THAT(explained, test::Contains("zeroed (destination) rows: [3]"));
  const std::string json = graft::format_json(p);
  CHECK_THAT(json, test::Contains("\"zeroed\":[3]"));
  CHECK_THAT(json, test::Contains("\"label\":\"new token\",\"sources\":[],\"mean_of_all\":true,\"fill\":null"));
  CHECK_THAT(json, test::Contains("\"label\":\"gone\",\"sources\":[],\"mean_of_all\":false,\"fill\":\"zero\""));
}

TEST_CASE("fill rules: `* = mean(*)` gives every new label the same mean, computed once", "[apply][fill]") {
  const std::string rules = R"(labels old = [the, cat, sat, on]
labels new = [x1, on, x2, the, x3]
map old -> new { * = mean(*) }
reshape "emb.weight" { dim 0 = old -> new }
reshape "out.bias" { dim 0 = (old -> new) * 2 }
)";
  std::vector<tensor_record> src = {
      f32("emb.weight", {4, 2}, embedding({source_row("the"), source_row("cat"), source_row("sat"), source_row("on")})),
      // (old -> new) * 2: two rows per label, label-major: the label's row values.
      f32("out.bias", {8}, embedding({source_row("the"), source_row("cat"), source_row("sat"), source_row("on")}))};
  std::vector<tensor_record> dst = {f32("emb.weight", {5, 2}, std::vector<float>(10, -7.0f)),
                                    f32("out.bias", {10}, std::vector<float>(10, -7.0f))};
  const auto p = plan_for(rules, src, dst);
  const auto& sel = p.entries.at(0).selections.at(0);
  REQUIRE(sel.means.size() == 3);
  CHECK(sel.means[0].sources == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(sel.means[1].same_as == 0);  // one list for every mean(*) row
  CHECK(sel.means[2].same_as == 0);
  const auto out = graft::apply_records(p, src, dst);
  const auto all = mean_of(source_labels);
  CHECK(row(out[0], 0) == all);
  CHECK(row(out[0], 1) == source_row("on"));
  CHECK(row(out[0], 2) == all);
  CHECK(row(out[0], 3) == source_row("the"));
  CHECK(row(out[0], 4) == all);
  // Per channel: channel 0 of x1 is the mean of every label's channel 0, channel 1 of channel 1.
  const auto bias = floats(out[1]);
  CHECK(bias == std::vector<float>{all[0], all[1], 4, 40, all[0], all[1], 1, 10, all[0], all[1]});
  CHECK_THAT(graft::explain(test::rules_text(rules), set_of(src), set_of(dst), "emb.weight"),
             test::Contains("destination row 2 = the same mean as destination row 0"));
  CHECK_THAT(graft::format_json(p), test::Contains("{\"destination\":2,\"same_as\":0}"));
}

TEST_CASE("fill rules: `zero *` and `keep *` acknowledge every label without a source", "[apply][fill]") {
  const std::string sets = "labels old = [a, b]\nlabels new = [b, c, d]\n";
  std::vector<tensor_record> src = {f32("w", {2, 2}, {1, 2, 3, 4})};
  std::vector<tensor_record> dst = {f32("w", {3, 2}, {9, 9, 8, 8, 7, 7})};
  const auto zeroed = graft::apply_records(
      plan_for(sets + "map old -> new { zero * }\nreshape \"w\" { dim 0 = old -> new }\n", src, dst), src, dst);
  CHECK(floats(zeroed[0]) == std::vector<float>{3, 4, 0, 0, 0, 0});
  const auto kept = graft::apply_records(
      plan_for(sets + "map old -> new { keep *; d = a }\nreshape \"w\" { dim 0 = old -> new }\n", src, dst), src, dst);
  CHECK(floats(kept[0]) == std::vector<float>{3, 4, 8, 8, 1, 2});
  // Without a fill rule, the strict plan refuses the labels that have none.
  const auto refused = graft::make_plan(
      test::rules_text(sets + "map old -> new {}\nreshape \"w\" { dim 0 = old -> new }\n"), set_of(src), set_of(dst));
  CHECK_FALSE(refused.ok());
  CHECK_THAT(test::problems(refused),
             test::Contains("map old -> new gives no source to new labels 'c' (did you mean 'a'"));
}

TEST_CASE("fill rules: mean(*) synthesizes whole per-label tensors from every source label's tensor", "[apply][fill]") {
  const std::string rules = R"(labels old = [a, b, c]
labels new = [b, fresh]
map old -> new { fresh = mean(*) }
rename "head.<old>.w" -> "head.<new>.w"
)";
  std::vector<tensor_record> src = {f32("head.0.w", {2}, {1, 2}), f32("head.1.w", {2}, {3, 4}),
                                    f32("head.2.w", {2}, {5, 9})};
  std::vector<tensor_record> dst = {f32("head.0.w", {2}, {0, 0}), f32("head.1.w", {2}, {0, 0})};
  const auto p = plan_for(rules, src, dst);
  const auto out = graft::apply_records(p, src, dst);
  REQUIRE(out.size() == 2);
  CHECK(floats(out[0]) == std::vector<float>{3, 4});  // b
  CHECK(floats(out[1]) == std::vector<float>{3, 5});  // mean of a, b, c
  CHECK(p.entries.at(1).what == graft::category::synthesized);
}
