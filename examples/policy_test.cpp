// Unit-testing a transfer policy with graft/testing.hpp: the shipped DEKR COCO -> CrowdPose rules,
// planned against the models' name/shape manifests. Build this in your own Catch2 suite to pin down
// what your rules do before any tensor is touched.

#include <graft/io/manifest.hpp>
#include <graft/plan/planner.hpp>
#include <graft/rules/load.hpp>
#include <graft/testing.hpp>  // brings in Catch2 (v2 or v3)

#include <filesystem>

namespace fs = std::filesystem;
using namespace graft::testing;

namespace {
graft::plan dekr_plan() {
  const auto rules = graft::rules::load_rules(fs::path(GRAFT_RULES_DIR) / "pose/dekr_coco_to_crowdpose.graft");
  const fs::path manifests = fs::path(GRAFT_TEST_DATA_DIR) / "manifests";
  return graft::make_plan(rules, graft::io::read_manifest(manifests / "dekr_w32_coco.tsv"),
                          graft::io::read_manifest(manifests / "dekr_w32_crowdpose.tsv"));
}
}  // namespace

TEST_CASE("the DEKR COCO -> CrowdPose policy", "[example][policy]") {
  const auto plan = dekr_plan();
  CHECK_THAT(plan, is_ok());
  CHECK_THAT(plan, no_unused_sources());

  // The backbone is copied whole; the heads are mapped joint by joint.
  CHECK_THAT(plan, copies("stage4.**"));
  CHECK_THAT(plan, maps("head_heatmap.1.*"));
  CHECK_THAT(plan, maps("transition_offset.0.weight"));

  // The 12 shared joints carry COCO's values; CrowdPose's head and neck start fresh.
  const std::vector<std::string> shared = {"left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                                           "left_wrist",    "right_wrist",    "left_hip",   "right_hip",
                                           "left_knee",     "right_knee",     "left_ankle", "right_ankle"};
  CHECK_THAT(plan, carries_only_joints("head_heatmap.1.weight", shared));
  CHECK_THAT(plan, carries_only_joints("transition_offset.0.weight", shared));
  // Row by row: each joint from its COCO namesake, head and neck kept (15 channels per joint here).
  CHECK_THAT(plan, takes_labels("transition_offset.0.weight", 0, {{"head", {}}, {"neck", {}}}));

  // Per-joint offset modules: head and neck are kept, the face joints' modules are dropped.
  CHECK_THAT(plan, keeps("offset_final_layer.{12,13}.*"));
  CHECK_THAT(plan, excludes("offset_final_layer.{0,1,2,3,4}.*"));
}

TEST_CASE("a policy failure reads well", "[example][policy]") {
  const auto plan = dekr_plan();
  // A deliberately wrong expectation, checked with Catch's matcher API directly.
  CHECK_FALSE(carries_joints("head_heatmap.1.weight", {"head"}).match(plan));
  CHECK_FALSE(copies("head_heatmap.1.weight").match(plan));
  CHECK_FALSE(takes_labels("head_heatmap.1.weight", 0, {{"head", {"nose"}}}).match(plan));
  CHECK_FALSE(takes_labels("head_heatmap.1.weight", 1, {}).match(plan));  // no layout on dim 1
  CHECK_FALSE(
      takes_labels("head_heatmap.1.weight", 0, {{"head", {}}, {"neck", {}}, {"left_hip", {"right_hip"}}}).match(plan));
}
