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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
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

/// rules/labels/imagenet1k.labels read here, independently of graft's label-file reader: one name a
/// line, `#` comment lines and blank lines skipped.
const std::vector<std::string>& imagenet1k() {
  static const std::vector<std::string> names = [] {
    std::ifstream in(std::filesystem::path(GRAFT_RULES_DIR) / "labels" / "imagenet1k.labels");
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      const auto first = line.find_first_not_of(' ');
      if (first == std::string::npos || line[first] == '#') continue;
      out.push_back(line.substr(first, line.find_last_not_of(' ') + 1 - first));
    }
    return out;
  }();
  return names;
}

long imagenet_index(const std::string& name) {
  const auto& all = imagenet1k();
  const auto at = std::find(all.begin(), all.end(), name);
  return at == all.end() ? -1 : static_cast<long>(at - all.begin());
}

/// `labels classes = ["a", "b", ...]`, every label quoted.
std::string classes_set(const std::vector<std::string>& names) {
  std::string out = "labels classes = [";
  for (std::size_t i = 0; i < names.size(); ++i) {
    REQUIRE(names[i].find_first_of("\\\"") == std::string::npos);
    out += (i ? ", \"" : "\"") + names[i] + "\"";
  }
  return out + "]\n";
}

/// (ImageNet row, destination row) for each destination class ImageNet names.
row_pairs imagenet_rows(const std::vector<std::string>& classes) {
  row_pairs out;
  for (std::size_t d = 0; d < classes.size(); ++d)
    if (const long s = imagenet_index(classes[d]); s >= 0) out.emplace_back(s, static_cast<std::int64_t>(d));
  return out;
}

const std::vector<std::string> ten_classes = {"great white shark",
                                              "tench",
                                              "jack-o'-lantern",
                                              "crane bird",
                                              "crane",
                                              "Cardigan",
                                              "cardigan",
                                              "maillot tank suit",
                                              "yellow lady's slipper",
                                              "toilet tissue"};

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

TEST_CASE("the ImageNet-1k label file is torchvision's 1000 distinct class names in index order",
          "[plan][classifiers]") {
  const auto& names = imagenet1k();
  REQUIRE(names.size() == 1000u);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == 1000u);
  CHECK(names[0] == "tench");
  CHECK(names[2] == "great white shark");
  CHECK(names[134] == "crane bird");  // the two names the canonical list repeats, as torchvision spells them
  CHECK(names[517] == "crane");
  CHECK(names[638] == "maillot");
  CHECK(names[639] == "maillot tank suit");
  CHECK(names[999] == "toilet tissue");
  // graft's reader agrees: the set has the same labels in the same order.
  const auto rules = test::shipped("labels/imagenet1k.graft");
  const auto* set = rules.find_set("imagenet1k");
  REQUIRE(set);
  CHECK(set->joints == names);
}

TEST_CASE("ResNet-18 ImageNet head cut to 10 named classes", "[plan][classifiers]") {
  const auto rules = test::rules_text(classes_set(ten_classes) + "use \"classifiers/resnet_imagenet1k.graft\"\n");
  const auto imagenet = test::manifest("resnet18_imagenet1k");
  const auto ten = test::manifest("resnet18_10class");
  const auto p = graft::make_plan(rules, imagenet, ten);
  require_clean(p);
  CHECK(p.count(category::mapped) == 2);
  CHECK(p.count(category::copied) == imagenet.size() - 2);
  const auto expected = imagenet_rows(ten_classes);
  REQUIRE(expected.size() == 10u);
  CHECK(actual_rows(*p.for_destination("fc.weight"), 0) == expected);
  CHECK(actual_rows(*p.for_destination("fc.bias"), 0) == expected);
  CHECK(p.for_destination("fc.weight")->selections[0].kept.empty());
  CHECK(p.for_destination("fc.weight")->selections[0].dropped.size() == 990u);
}

TEST_CASE("ResNet-18 ImageNet head reordered: all 1000 classes sorted by name", "[plan][classifiers]") {
  auto sorted = imagenet1k();
  std::sort(sorted.begin(), sorted.end());
  const auto rules = test::rules_text(classes_set(sorted) + "use \"classifiers/resnet_imagenet1k.graft\"\n");
  const auto imagenet = test::manifest("resnet18_imagenet1k");
  const auto p = graft::make_plan(rules, imagenet, imagenet);
  require_clean(p);
  const auto expected = imagenet_rows(sorted);
  REQUIRE(expected.size() == 1000u);
  CHECK(actual_rows(*p.for_destination("fc.weight"), 0) == expected);
  CHECK(actual_rows(*p.for_destination("fc.bias"), 0) == expected);
  CHECK(graft::reorders(p.for_destination("fc.weight")->selections[0]));
}

TEST_CASE("ResNet ImageNet head cut applied on records: every row by class name", "[plan][classifiers]") {
  // A new class ImageNet lacks is said in the map: capybara starts from the mean of all 1000 rows.
  auto classes = ten_classes;
  classes.back() = "capybara";
  REQUIRE(imagenet_index("capybara") < 0);
  const auto rules = test::rules_text(classes_set(classes) + R"(use "classifiers/resnet_imagenet1k.graft"
map imagenet1k -> classes { capybara = mean(*) }
)");
  // fc.weight row r, column c holds 8 * r + c; fc.bias row r holds r; the template's rows hold -1.
  std::vector<float> w, b;
  for (int r = 0; r < 1000; ++r) {
    for (int c = 0; c < 8; ++c) w.push_back(static_cast<float>(8 * r + c));
    b.push_back(static_cast<float>(r));
  }
  const std::vector<graft::io::tensor_record> src = {test::apply::f32("conv1.weight", {2, 3}, {1, 2, 3, 4, 5, 6}),
                                                     test::apply::f32("layer4.1.bn2.weight", {2}, {7, 8}),
                                                     test::apply::f32("fc.weight", {1000, 8}, std::move(w)),
                                                     test::apply::f32("fc.bias", {1000}, std::move(b))};
  const std::vector<graft::io::tensor_record> dst = {test::apply::f32("conv1.weight", {2, 3}, {0, 0, 0, 0, 0, 0}),
                                                     test::apply::f32("layer4.1.bn2.weight", {2}, {0, 0}),
                                                     test::apply::f32("fc.weight", {10, 8}, std::vector<float>(80, -1)),
                                                     test::apply::f32("fc.bias", {10}, std::vector<float>(10, -1))};
  const auto p = graft::make_plan(rules, test::apply::set_of(src), test::apply::set_of(dst));
  require_clean(p);
  const auto out = graft::apply_records(p, src, dst);
  REQUIRE(out.size() == 4u);
  CHECK(floats(out[0]) == floats(src[0]));
  CHECK(floats(out[1]) == floats(src[1]));
  const auto weight = floats(out[2]);
  const auto bias = floats(out[3]);
  for (std::size_t d = 0; d < classes.size(); ++d) {
    INFO(classes[d]);
    const long s = imagenet_index(classes[d]);
    const double row = s >= 0 ? static_cast<double>(s) : 999.0 / 2;  // the mean of rows 0..999
    CHECK(std::abs(bias[d] - row) < 1e-3);
    for (std::size_t c = 0; c < 8; ++c) CHECK(std::abs(weight[d * 8 + c] - (8 * row + static_cast<double>(c))) < 1e-2);
  }
}

TEST_CASE("the ImageNet classifier rules need the user's `classes` set", "[plan][classifiers]") {
  try {
    const auto rules = test::rules_text("use \"classifiers/resnet_imagenet1k.graft\"\n");
    const auto p = graft::make_plan(rules, test::manifest("resnet18_imagenet1k"), test::manifest("resnet18_10class"));
    CHECK_FALSE(p.ok());
    CHECK(test::problems(p).find("classes") != std::string::npos);
  } catch (const graft::error& e) {
    CHECK(std::string(e.what()).find("classes") != std::string::npos);
  }
}
