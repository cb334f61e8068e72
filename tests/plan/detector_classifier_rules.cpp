// The shipped detector and classifier rules on torchvision's own names and shapes
// (tests/data/manifests/make_torchvision_manifests.py): planned in strict mode with no warnings, every
// mapped tensor's rows checked against indices computed here from the label names (not with graft's
// map code), then applied with the records executor on small checkpoints made here whose values say
// which channel they came from, so that rows are checked by value.

#include "apply/record_helpers.hpp"
#include "plan/plan_helpers.hpp"
#include "support/pose_joints.hpp"

#include <graft/apply/records.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using graft::category;
using test::apply::floats;
using test::apply::make_record;

namespace {

using row_pairs = std::vector<std::pair<std::int64_t, std::int64_t>>;

void require_clean(const graft::plan& p) {
  INFO(test::problems(p));
  REQUIRE(p.ok());
  REQUIRE(p.problems.empty());
}

/// The (source row, destination row) pairs of a mapped tensor's one selection, on `dim`.
row_pairs actual_rows(const graft::plan_entry& e, std::int64_t dim) {
  REQUIRE(e.what == category::mapped);
  REQUIRE(e.selections.size() == 1);
  const auto& sel = e.selections[0];
  REQUIRE(sel.dim == dim);
  REQUIRE(sel.means.empty());
  row_pairs out;
  for (std::size_t i = 0; i < sel.source_index.size(); ++i)
    out.emplace_back(sel.source_index[i], sel.destination_index[i]);
  return out;
}

/// COCO -> CrowdPose by joint name: (COCO row, CrowdPose row) for each CrowdPose joint COCO names.
row_pairs coco_to_crowdpose_rows() {
  row_pairs out;
  for (std::size_t d = 0; d < test::crowdpose_joints.size(); ++d)
    if (const long s = test::coco_index(test::crowdpose_joints[d]); s >= 0)
      out.emplace_back(s, static_cast<std::int64_t>(d));
  return out;
}

/// The CrowdPose rows no COCO joint names (head, neck).
std::vector<std::int64_t> crowdpose_rows_without_coco() {
  std::vector<std::int64_t> out;
  for (std::size_t d = 0; d < test::crowdpose_joints.size(); ++d)
    if (test::coco_index(test::crowdpose_joints[d]) < 0) out.push_back(static_cast<std::int64_t>(d));
  return out;
}

const std::string kps = "roi_heads.keypoint_predictor.kps_score_lowres.";

/// `set` with the keypoint predictor resized to `keypoints`.
graft::tensor_set with_keypoints(graft::tensor_set set, std::int64_t keypoints) {
  for (auto& t : set) {
    if (t.name == kps + "weight") t.shape[1] = keypoints;
    if (t.name == kps + "bias") t.shape[0] = keypoints;
  }
  return set;
}

const graft::tensor_meta& named(const graft::tensor_set& set, const std::string& name) {
  for (const auto& t : set)
    if (t.name == name) return t;
  FAIL("no tensor " << name);
  throw;
}

}  // namespace

TEST_CASE("Keypoint R-CNN COCO -> CrowdPose plans cleanly on torchvision's names", "[plan][detectors]") {
  const auto rules = test::shipped("detectors/keypointrcnn_coco_to_crowdpose.graft");
  const auto coco = test::manifest("keypointrcnn_resnet50_fpn_coco");
  const auto crowdpose = test::manifest("keypointrcnn_resnet50_fpn_crowdpose");
  REQUIRE(named(coco, kps + "weight").shape == graft::shape_t{512, 17, 4, 4});
  REQUIRE(named(crowdpose, kps + "weight").shape == graft::shape_t{512, 14, 4, 4});
  const auto p = graft::make_plan(rules, coco, crowdpose);
  require_clean(p);
  CHECK(p.count(category::mapped) == 2);
  CHECK(p.count(category::copied) == coco.size() - 2);  // scalars (num_batches_tracked) included
  for (const auto& t : crowdpose) {
    INFO(t.name);
    const auto* e = p.for_destination(t.name);
    REQUIRE(e);
    if (t.name.rfind(kps, 0) == 0) continue;
    CHECK(e->what == category::copied);
    CHECK(p.source[*e->source].name == t.name);
  }
  CHECK(actual_rows(*p.for_destination(kps + "weight"), 1) == coco_to_crowdpose_rows());
  CHECK(actual_rows(*p.for_destination(kps + "bias"), 0) == coco_to_crowdpose_rows());
  CHECK(p.for_destination(kps + "weight")->selections[0].kept == crowdpose_rows_without_coco());
  CHECK(p.for_destination(kps + "bias")->selections[0].kept == crowdpose_rows_without_coco());
}

TEST_CASE("Keypoint R-CNN COCO -> CrowdPose: wrapped and FrozenBatchNorm2d checkpoints", "[plan][detectors]") {
  const auto rules = test::shipped("detectors/keypointrcnn_coco_to_crowdpose.graft");
  const auto crowdpose = test::manifest("keypointrcnn_resnet50_fpn_crowdpose");
  for (const std::string prefix : {"module.", "_orig_mod.", "_orig_mod.module."}) {
    INFO(prefix);
    auto coco = test::manifest("keypointrcnn_resnet50_fpn_coco");
    for (auto& t : coco) t.name = prefix + t.name;
    const auto p = graft::make_plan(rules, coco, crowdpose);
    require_clean(p);
    CHECK(p.count(category::mapped) == 2);
    CHECK(actual_rows(*p.for_destination(kps + "weight"), 1) == coco_to_crowdpose_rows());
  }
  // The published checkpoint's layout (FrozenBatchNorm2d) onto a model built with weights_backbone:
  // the same names on both sides.
  const auto frozen = test::manifest("keypointrcnn_resnet50_fpn_coco_frozenbn");
  require_clean(graft::make_plan(rules, frozen, with_keypoints(frozen, 14)));
  // Onto a model built with weights=None (nn.BatchNorm2d): its 53 num_batches_tracked are unfilled,
  // and the rules file's comment says what to add.
  const auto strict = graft::make_plan(rules, frozen, crowdpose);
  CHECK_FALSE(strict.ok());
  CHECK(test::has_problem(strict, test::error, "num_batches_tracked"));
  const auto p = graft::make_plan(test::rules_text(R"(use "detectors/keypointrcnn_coco_to_crowdpose.graft"
keep "backbone.body.**.num_batches_tracked"
)"),
                                  frozen, crowdpose);
  require_clean(p);
  CHECK(p.count(category::kept) == 53);
}

TEST_CASE("Keypoint R-CNN COCO -> CrowdPose applied on records moves every keypoint by name", "[plan][detectors]") {
  // One tensor of each family the rules expect copied, with torchvision's names and shapes, and the
  // predictor. Source predictor values say (keypoint k, input channel i, y, x); the destination's
  // say (keypoint d), negative.
  const auto coco = test::manifest("keypointrcnn_resnet50_fpn_coco");
  const auto crowdpose = test::manifest("keypointrcnn_resnet50_fpn_crowdpose");
  const std::vector<std::string> copied = {
      "backbone.body.conv1.weight",         "backbone.body.layer4.2.bn3.num_batches_tracked",
      "backbone.body.layer4.2.bn3.weight",  "backbone.body.layer4.2.bn3.bias",
      "backbone.fpn.layer_blocks.3.0.bias", "rpn.head.cls_logits.bias",
      "roi_heads.box_head.fc7.bias",        "roi_heads.box_predictor.cls_score.bias",
      "roi_heads.keypoint_head.14.bias"};
  auto record = [](const graft::tensor_meta& t, float base) {
    if (t.type == graft::dtype::int64)
      return make_record<std::int64_t>(t.name, t.shape, t.type, {static_cast<std::int64_t>(base)});
    std::vector<float> v(static_cast<std::size_t>(graft::numel(t.shape)));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = base + static_cast<float>(i % 1000);
    return make_record<float>(t.name, t.shape, t.type, std::move(v));
  };
  const auto source_weight = [](std::int64_t i, std::int64_t k, std::int64_t y, std::int64_t x) {
    return static_cast<float>(100000 * k + 16 * i + 4 * y + x);  // exact in float32 (< 2^24)
  };
  std::vector<graft::io::tensor_record> src, dst;
  for (const auto& name : copied) {
    src.push_back(record(named(coco, name), 7));
    dst.push_back(record(named(crowdpose, name), -7));
  }
  {
    std::vector<float> w, b, w0, b0;
    for (std::int64_t i = 0; i < 512; ++i)
      for (std::int64_t k = 0; k < 17; ++k)
        for (std::int64_t y = 0; y < 4; ++y)
          for (std::int64_t x = 0; x < 4; ++x) w.push_back(source_weight(i, k, y, x));
    for (std::int64_t k = 0; k < 17; ++k) b.push_back(static_cast<float>(1000 + k));
    for (std::int64_t i = 0; i < 512; ++i)
      for (std::int64_t d = 0; d < 14; ++d)
        for (int yx = 0; yx < 16; ++yx) w0.push_back(static_cast<float>(-1 - d));
    for (std::int64_t d = 0; d < 14; ++d) b0.push_back(static_cast<float>(-1 - d));
    src.push_back(test::apply::f32(kps + "weight", {512, 17, 4, 4}, std::move(w)));
    src.push_back(test::apply::f32(kps + "bias", {17}, std::move(b)));
    dst.push_back(test::apply::f32(kps + "weight", {512, 14, 4, 4}, std::move(w0)));
    dst.push_back(test::apply::f32(kps + "bias", {14}, std::move(b0)));
  }
  const auto p = graft::make_plan(test::shipped("detectors/keypointrcnn_coco_to_crowdpose.graft"),
                                  test::apply::set_of(src), test::apply::set_of(dst));
  require_clean(p);
  graft::apply_summary summary;
  const auto out = graft::apply_records(p, src, dst, &summary);
  CHECK(summary.copied == copied.size());
  CHECK(summary.mapped == 2);
  REQUIRE(out.size() == dst.size());
  for (std::size_t i = 0; i < copied.size(); ++i) {
    INFO(copied[i]);
    CHECK(out[i].name == copied[i]);
    if (out[i].type == graft::dtype::float32) CHECK(floats(out[i]) == floats(src[i]));
  }
  const auto weight = floats(out[copied.size()]);
  const auto bias = floats(out[copied.size() + 1]);
  REQUIRE(weight.size() == 512u * 14 * 16);
  REQUIRE(bias.size() == 14u);
  std::size_t wrong = 0;
  for (std::size_t d = 0; d < test::crowdpose_joints.size(); ++d) {
    const auto& joint = test::crowdpose_joints[d];
    INFO(joint);
    const long s = test::coco_index(joint);
    const auto dd = static_cast<std::int64_t>(d);
    CHECK(bias[d] == (s >= 0 ? static_cast<float>(1000 + s) : static_cast<float>(-1 - dd)));
    for (std::int64_t i = 0; i < 512; ++i)
      for (std::int64_t y = 0; y < 4; ++y)
        for (std::int64_t x = 0; x < 4; ++x) {
          const float expected = s >= 0 ? source_weight(i, s, y, x) : static_cast<float>(-1 - dd);
          wrong += weight[static_cast<std::size_t>(((i * 14 + dd) * 4 + y) * 4 + x)] != expected;
        }
  }
  CHECK(wrong == 0);
}
