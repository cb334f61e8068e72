// Dimension layouts resolve to (source, destination) index lists; mismatches name every length.

#include <graft/rules/layout.hpp>

#include "support/pose_joints.hpp"

#include "support/catch.hpp"

#include <memory>

using namespace graft::rules;

namespace {
const std::vector<std::string>& coco = test::coco_joints;
const std::vector<std::string>& crowdpose = test::crowdpose_joints;

/// Same-name map, plus optional overrides (target → sources, mean when several).
std::shared_ptr<joint_mapping> make_map(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  auto m = std::make_shared<joint_mapping>();
  m->from = "coco";
  m->to = "crowdpose";
  m->from_joints = a;
  m->to_joints = b;
  for (const auto& j : b) {
    joint_source t;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] == j) t = {joint_source::kind::same_name, {i}};
    m->targets.push_back(t);
  }
  return m;
}

/// Independent expectation: the COCO index of each CrowdPose joint (-1 = none), by name.
std::vector<long> expected_sources() {
  std::vector<long> out;
  for (const auto& j : crowdpose) {
    long found = -1;
    for (std::size_t i = 0; i < coco.size(); ++i)
      if (coco[i] == j) found = static_cast<long>(i);
    out.push_back(found);
  }
  return out;
}

layout_segment joints(std::shared_ptr<const joint_mapping> m, std::int64_t k = 1, bool block = false) {
  layout_segment s;
  s.what = layout_segment::kind::joints;
  s.map = std::move(m);
  s.repeat = k;
  s.block_major = block;
  return s;
}
layout_segment counted(layout_segment::kind what, std::int64_t n) {
  layout_segment s;
  s.what = what;
  s.count = n;
  return s;
}
}  // namespace

TEST_CASE("A -> B selects and reorders joints by name", "[rules][layout]") {
  dim_layout l{0, {joints(make_map(coco, crowdpose))}, {}};
  auto sel = resolve_layout(l, 17, 14, "t");
  auto expected = expected_sources();
  std::vector<std::int64_t> want_src, want_dst;
  for (std::size_t d = 0; d < expected.size(); ++d)
    if (expected[d] >= 0) {
      want_src.push_back(expected[d]);
      want_dst.push_back(static_cast<std::int64_t>(d));
    }
  CHECK(sel.source_index == want_src);
  CHECK(sel.destination_index == want_dst);
  CHECK(sel.kept == std::vector<std::int64_t>{12, 13});
  CHECK(sel.dropped == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(sel.joint_summaries.at(0) == "12 of 14 joints; head, neck kept");
}

TEST_CASE("heatmaps then tags: two joint segments", "[rules][layout]") {
  auto m = make_map(coco, crowdpose);
  dim_layout l{0, {joints(m), joints(m)}, {}};
  auto sel = resolve_layout(l, 34, 28, "t");
  REQUIRE(sel.source_index.size() == 24);
  CHECK(sel.source_index[12] == 17 + 5);  // tag of left_shoulder
  CHECK(sel.destination_index[12] == 14 + 0);
  CHECK(sel.kept == std::vector<std::int64_t>{12, 13, 26, 27});
}

TEST_CASE("inferred keep takes the features, keep N passes a centre channel", "[rules][layout]") {
  auto m = make_map(coco, crowdpose);
  dim_layout deconv{
      0, {layout_segment{layout_segment::kind::keep_inferred, 0, nullptr, 1, false, {}}, joints(m), joints(m)}, {}};
  auto sel = resolve_layout(deconv, 32 + 34, 32 + 28, "t");
  CHECK(sel.source_index[0] == 0);
  CHECK(sel.source_index[31] == 31);
  CHECK(sel.source_index[32] == 32 + 5);
  CHECK(sel.destination_index[32] == 32);
  auto w48 = resolve_layout(deconv, 48 + 34, 48 + 28, "t");  // width-independent
  CHECK(w48.source_index[48] == 48 + 5);

  dim_layout heatmap{0, {joints(m), counted(layout_segment::kind::keep, 1)}, {}};
  auto h = resolve_layout(heatmap, 18, 15, "t");
  CHECK(h.source_index.back() == 17);
  CHECK(h.destination_index.back() == 14);
}

TEST_CASE("(A -> B) * k is joint-major, k * (A -> B) block-major", "[rules][layout]") {
  auto m = make_map(coco, crowdpose);
  auto grouped = resolve_layout(dim_layout{0, {joints(m, 15)}, {}}, 255, 210, "t");
  // destination joint 0 (left_shoulder) channel c comes from source joint 5 channel c
  CHECK(grouped.destination_index[0] == 0);
  CHECK(grouped.source_index[0] == 5 * 15);
  CHECK(grouped.source_index[14] == 5 * 15 + 14);
  CHECK(grouped.destination_index[15] == 15);
  CHECK(grouped.source_index[15] == 6 * 15);
  CHECK(grouped.kept.size() == 30);

  auto blocked = resolve_layout(dim_layout{0, {joints(m, 2, true)}, {}}, 34, 28, "t");
  CHECK(blocked.source_index[0] == 5);
  CHECK(blocked.destination_index[0] == 0);
  CHECK(blocked.source_index[1] == 17 + 5);  // c=1 of the same joint follows
  CHECK(blocked.destination_index[1] == 14);
}

TEST_CASE("drop and new", "[rules][layout]") {
  dim_layout l{0,
               {counted(layout_segment::kind::drop, 2), counted(layout_segment::kind::keep, 3),
                counted(layout_segment::kind::fresh, 4)},
               {}};
  auto sel = resolve_layout(l, 5, 7, "t");
  CHECK(sel.source_index == std::vector<std::int64_t>{2, 3, 4});
  CHECK(sel.destination_index == std::vector<std::int64_t>{0, 1, 2});
  CHECK(sel.dropped == std::vector<std::int64_t>{0, 1});
  CHECK(sel.kept == std::vector<std::int64_t>{3, 4, 5, 6});
}

TEST_CASE("map overrides: renamed joints copy, means synthesize", "[rules][layout]") {
  auto m = make_map(coco, crowdpose);
  m->targets[12] = {joint_source::kind::renamed, {0}};
  m->targets[13] = {joint_source::kind::mean, {5, 6}};
  auto sel = resolve_layout(dim_layout{0, {joints(m)}, {}}, 17, 14, "t");
  CHECK(sel.kept.empty());
  CHECK(sel.source_index.back() == 0);
  CHECK(sel.destination_index.back() == 12);
  REQUIRE(sel.means.size() == 1);
  CHECK(sel.means[0].destination == 13);
  CHECK(sel.means[0].sources == std::vector<std::int64_t>{5, 6});
  CHECK(m->summary() == "14 of 14 joints; head = nose, neck = mean(left_shoulder, right_shoulder)");
}

TEST_CASE("equal sizes still reorder (the silent bug a layout prevents)", "[rules][layout]") {
  auto m = make_map({"a", "b", "c"}, {"c", "a", "b"});
  auto sel = resolve_layout(dim_layout{0, {joints(m)}, {}}, 3, 3, "t");
  CHECK(sel.source_index == std::vector<std::int64_t>{2, 0, 1});
  CHECK_FALSE(sel.is_identity());
}

TEST_CASE("a layout that does not add up names both sizes and each segment", "[rules][layout]") {
  auto m = make_map(coco, crowdpose);
  dim_layout l{0, {joints(m), counted(layout_segment::kind::keep, 1)}, {}};
  try {
    resolve_layout(l, 34, 28, "final_layers.0.weight [34, 32, 1, 1] -> [28, 32, 1, 1]");
    FAIL("no error");
  } catch (const graft::rules_error& e) {
    CHECK(e.message() ==
          "dim 0 layout does not fit final_layers.0.weight [34, 32, 1, 1] -> [28, 32, 1, 1]: the tensors have 34 -> 28 "
          "rows, the segments give 18 -> 15 (coco -> crowdpose = 17 -> 14, keep 1 = 1 -> 1)");
  }
  dim_layout inferred{
      0, {layout_segment{layout_segment::kind::keep_inferred, 0, nullptr, 1, false, {}}, joints(m)}, {}};
  CHECK_THROWS_AS(resolve_layout(inferred, 40, 40, "t"), graft::rules_error);
}

TEST_CASE("did you mean", "[rules][joints]") {
  CHECK(did_you_mean("noze", coco) == " (did you mean 'nose'?)");
  CHECK(did_you_mean("left_elbw", coco) == " (did you mean 'left_elbow'?)");
  CHECK(did_you_mean("zzzzzz", coco).empty());
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("an inferred keep longer than a layout takes is a rules error, not an allocation", "[rules][layout]") {
  // A manifest may claim any size; the index lists of an inferred keep are as long as it.
  const dim_layout l{2, {counted(layout_segment::kind::keep_inferred, 0), counted(layout_segment::kind::fresh, 1)}, {}};
  CHECK_THROWS_WITH(resolve_layout(l, std::int64_t{1} << 62, (std::int64_t{1} << 62) + 1, "t"),
                    "<unknown>: dim 2 layout does not fit t: its inferred keep would be 4611686018427387904 rows, "
                    "more than a layout takes (at most 16777216)");
  CHECK(resolve_layout(l, 3, 4, "t").kept == std::vector<std::int64_t>{3});
}
