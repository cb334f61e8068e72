// The shipped pose rules plan the real HigherHRNet, SWAHR and DEKR w32 manifests in strict mode with
// no warnings, and every mapped tensor carries the right joints (computed here from joint names).

#include "plan/plan_helpers.hpp"
#include "support/pose_joints.hpp"

#include "support/catch.hpp"

#include <map>

using graft::category;

namespace {
const std::vector<std::string>& crowdpose = test::crowdpose_joints;
using test::coco_index;

/// Expected (source row, destination row) pairs for `blocks` blocks of one-row-per-joint, after `offset` rows.
std::vector<std::pair<long, long>> expected_rows(long offset_src, long offset_dst, int blocks, long per_joint = 1) {
  std::vector<std::pair<long, long>> out;
  for (int b = 0; b < blocks; ++b)
    for (std::size_t d = 0; d < crowdpose.size(); ++d) {
      const long s = coco_index(crowdpose[d]);
      if (s < 0) continue;
      for (long c = 0; c < per_joint; ++c)
        out.emplace_back(offset_src + b * 17 * per_joint + s * per_joint + c,
                         offset_dst + b * 14 * per_joint + static_cast<long>(d) * per_joint + c);
    }
  return out;
}

std::vector<std::pair<long, long>> actual_rows(const graft::plan_entry& e, long skip_identity_prefix = 0) {
  REQUIRE(e.selections.size() == 1);
  const auto& sel = e.selections[0];
  REQUIRE(sel.dim == 0);
  std::vector<std::pair<long, long>> out;
  for (std::size_t i = 0; i < sel.source_index.size(); ++i) {
    if (sel.source_index[i] < skip_identity_prefix) {
      CHECK(sel.source_index[i] == sel.destination_index[i]);
      continue;
    }
    out.emplace_back(sel.source_index[i], sel.destination_index[i]);
  }
  return out;
}

void require_clean(const graft::plan& p) {
  INFO(test::problems(p));
  REQUIRE(p.ok());
  REQUIRE(p.problems.empty());
}

/// Every tensor with equal name and shape on both sides is copied.
void check_backbone_copied(const graft::plan& p) {
  std::map<std::string, graft::shape_t> dst;
  for (const auto& d : p.destination) dst[d.name] = d.shape;
  std::size_t checked = 0;
  for (const auto& s : p.source) {
    auto it = dst.find(s.name);
    if (it == dst.end() || it->second != s.shape) continue;
    if (s.name.rfind("offset_", 0) == 0) continue;  // DEKR per-joint modules are renamed
    const auto* e = p.for_destination(s.name);
    REQUIRE(e != nullptr);
    INFO(s.name);
    if (s.name.rfind("conv_scale_layers", 0) != 0 || s.name.find("num_batches") != std::string::npos)
      CHECK(e->what == category::copied);
    ++checked;
  }
  CHECK(checked > 1700);
}
}  // namespace

TEST_CASE("HigherHRNet w32 COCO -> CrowdPose plans cleanly in strict mode", "[plan][pose]") {
  const auto p =
      graft::make_plan(test::shipped("pose/higherhrnet_coco_to_crowdpose.graft"),
                       test::manifest("higherhrnet_w32_512_coco"), test::manifest("higherhrnet_w32_512_crowdpose"));
  require_clean(p);
  CHECK(p.count(category::mapped) == 5);
  CHECK(p.count(category::copied) == 1805);
  check_backbone_copied(p);
  CHECK(actual_rows(*p.for_destination("final_layers.0.weight")) == expected_rows(0, 0, 2));
  CHECK(actual_rows(*p.for_destination("final_layers.0.bias")) == expected_rows(0, 0, 2));
  CHECK(actual_rows(*p.for_destination("final_layers.1.weight")) == expected_rows(0, 0, 1));
  CHECK(actual_rows(*p.for_destination("deconv_layers.0.0.0.weight"), 32) == expected_rows(32, 32, 2));
  const auto& kept = p.for_destination("final_layers.0.weight")->selections[0].kept;
  CHECK(kept == std::vector<std::int64_t>{12, 13, 26, 27});
}

TEST_CASE("SWAHR w32 COCO -> CrowdPose maps the scale heads on every joint axis", "[plan][pose]") {
  const auto p = graft::make_plan(test::shipped("pose/swahr_coco_to_crowdpose.graft"),
                                  test::manifest("swahr_w32_512_coco"), test::manifest("swahr_w32_512_crowdpose"));
  require_clean(p);
  CHECK(p.count(category::mapped) == 21);
  check_backbone_copied(p);
  for (const char* name :
       {"conv_scale_layers.0.0.weight", "conv_scale_layers.1.1.running_var", "conv_scale_layers.1.3.weight"}) {
    INFO(name);
    const auto* e = p.for_destination(name);
    REQUIRE(e);
    CHECK(e->what == category::mapped);
    CHECK(actual_rows(*e) == expected_rows(0, 0, 1));
  }
}

TEST_CASE("DEKR w32 COCO -> CrowdPose: heatmap head, joint-major offsets, per-joint modules", "[plan][pose]") {
  const auto p = graft::make_plan(test::shipped("pose/dekr_coco_to_crowdpose.graft"), test::manifest("dekr_w32_coco"),
                                  test::manifest("dekr_w32_crowdpose"));
  require_clean(p);
  check_backbone_copied(p);
  // head_heatmap.1: joints then the person centre (kept as the last row).
  auto heat = expected_rows(0, 0, 1);
  heat.emplace_back(17, 14);
  CHECK(actual_rows(*p.for_destination("head_heatmap.1.weight")) == heat);
  CHECK(actual_rows(*p.for_destination("transition_offset.0.weight")) == expected_rows(0, 0, 1, 15));
  CHECK(actual_rows(*p.for_destination("transition_offset.1.running_var")) == expected_rows(0, 0, 1, 15));
  // Per-joint modules: CrowdPose module d comes from the COCO module of the same joint.
  for (std::size_t d = 0; d < crowdpose.size(); ++d) {
    const std::string dst = "offset_final_layer." + std::to_string(d) + ".weight";
    const auto* e = p.for_destination(dst);
    REQUIRE(e);
    INFO(dst);
    const long s = coco_index(crowdpose[d]);
    if (s < 0) {
      CHECK(e->what == category::kept);
    } else {
      CHECK(e->what == category::copied);
      CHECK(p.source[*e->source].name == "offset_final_layer." + std::to_string(s) + ".weight");
    }
  }
  const auto* nose = p.for_source("offset_feature_layers.0.1.adapt_conv.weight");
  REQUIRE(nose);
  CHECK(nose->what == category::excluded);
  CHECK(p.count(category::excluded) == 5 * 24);
  CHECK(p.count(category::kept) == 2 * 24);
}

TEST_CASE("the backbone-only rules copy the backbone and keep every head", "[plan][pose]") {
  const auto p = graft::make_plan(test::shipped("backbones/hrnet.graft"), test::manifest("dekr_w32_coco"),
                                  test::manifest("dekr_w32_crowdpose"));
  require_clean(p);
  CHECK(p.for_destination("stage4.2.fuse_layers.0.3.1.weight")->what == category::copied);
  CHECK(p.for_destination("head_heatmap.1.weight")->what == category::kept);
  CHECK(p.for_source("head_heatmap.1.weight")->what == category::excluded);
  CHECK(p.count(category::mapped) == 0);
}

TEST_CASE("the pose rules are width-independent (w48 heads plan the same)", "[plan][pose]") {
  auto widen = [](graft::tensor_set set) {
    for (auto& t : set) {
      if (t.name.rfind("deconv_layers", 0) != 0 && t.name.rfind("final_layers", 0) != 0) continue;
      for (auto& s : t.shape) {
        if (s == 32)
          s = 48;
        else if (s == 32 + 34)
          s = 48 + 34;
        else if (s == 32 + 28)
          s = 48 + 28;
      }
    }
    return set;
  };
  const auto p = graft::make_plan(test::shipped("pose/higherhrnet_coco_to_crowdpose.graft"),
                                  widen(test::manifest("higherhrnet_w32_512_coco")),
                                  widen(test::manifest("higherhrnet_w32_512_crowdpose")));
  require_clean(p);
  const auto* deconv = p.for_destination("deconv_layers.0.0.0.weight");
  CHECK(p.destination[*deconv->destination].shape == graft::shape_t{76, 48, 4, 4});
  CHECK(actual_rows(*deconv, 48) == expected_rows(48, 48, 2));
}

TEST_CASE("wrapped checkpoints (module., 1.) plan like flat ones", "[plan][pose]") {
  for (const std::string prefix : {"module.", "1.", "module.1."}) {
    INFO(prefix);
    auto source = test::manifest("higherhrnet_w32_512_coco");
    for (auto& t : source) t.name = prefix + t.name;
    const auto p = graft::make_plan(test::shipped("pose/higherhrnet_coco_to_crowdpose.graft"), source,
                                    test::manifest("higherhrnet_w32_512_crowdpose"));
    require_clean(p);
    CHECK(p.count(category::mapped) == 5);
    CHECK(p.for_destination("conv1.weight")->renames.size() == (prefix == "module.1." ? 2u : 1u));
  }
}

TEST_CASE("DEKR with synthesized head and neck (the cookbook recipe)", "[plan][pose]") {
  auto rules = test::rules_text(R"(use "wrappers/dataparallel.graft"
use "joints/coco.graft"
use "joints/crowdpose.graft"
map coco -> crowdpose { head = nose; neck = mean(left_shoulder, right_shoulder) }
reshape "head_heatmap.1.{weight,bias}" { dim 0 = coco -> crowdpose, keep 1 }
reshape "transition_offset.{0.weight,1.weight,1.bias,1.running_mean,1.running_var}" { dim 0 = (coco -> crowdpose) * 15 }
rename "offset_feature_layers.<coco>.**" -> "offset_feature_layers.<crowdpose>.$2"
rename "offset_final_layer.<coco>.**" -> "offset_final_layer.<crowdpose>.$2"
)");
  const auto p = graft::make_plan(rules, test::manifest("dekr_w32_coco"), test::manifest("dekr_w32_crowdpose"));
  require_clean(p);
  const auto* head = p.for_destination("offset_final_layer.12.weight");
  REQUIRE(head);
  CHECK(head->what == category::synthesized);
  CHECK(p.source[head->mean_of.at(0)].name == "offset_final_layer.0.weight");
  const auto* neck = p.for_destination("offset_final_layer.13.weight");
  CHECK(neck->what == category::synthesized);
  REQUIRE(neck->mean_of.size() == 2);
  CHECK(p.source[neck->mean_of[0]].name == "offset_final_layer.5.weight");
  CHECK(p.source[neck->mean_of[1]].name == "offset_final_layer.6.weight");
  const auto& sel = p.for_destination("transition_offset.0.weight")->selections.at(0);
  CHECK(sel.kept.empty());
  CHECK(sel.means.size() == 15);  // neck's 15 channels
  CHECK(sel.means[0].sources == std::vector<std::int64_t>{5 * 15, 6 * 15});
}

TEST_CASE("an ImageNet HRNet classifier into a pose backbone", "[plan][pose]") {
  for (const char* destination : {"higherhrnet_w32_512_crowdpose", "dekr_w32_coco"}) {
    INFO(destination);
    const auto p = graft::make_plan(test::shipped("backbones/hrnet_imagenet.graft"),
                                    test::manifest("hrnet_w32_imagenet"), test::manifest(destination));
    require_clean(p);
    CHECK(p.for_destination("stage4.2.fuse_layers.0.3.0.weight")->what == category::copied);
    CHECK(p.for_source("stage4.2.fuse_layers.1.0.0.0.weight")->what == category::excluded);
    CHECK(p.for_source("classifier.weight")->what == category::excluded);
    CHECK(p.count(category::unused) == 0);
    CHECK(p.count(category::mapped) == 0);
  }
}
