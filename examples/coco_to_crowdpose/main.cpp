// A HigherHRNet-style head trained for COCO (17 joints) moved into the same head for CrowdPose
// (14 joints) through graft's C++ API; the heatmaps of the 12 shared joints come out identical.
//
//   coco_to_crowdpose RULES_DIR

#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>
#include <graft/torch/module.hpp>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <cstdio>
#include <iostream>

/// features (32 channels) -> K heatmaps, like HigherHRNet's final_layers.1
struct pose_head : torch::nn::Module {
  explicit pose_head(int joints) {
    final_layers = register_module("final_layers", torch::nn::Sequential());
    final_layers->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 2 * joints, 1)));
    final_layers->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(32, joints, 1)));
  }
  at::Tensor heatmaps(const at::Tensor& features) {
    return final_layers[1]->as<torch::nn::Conv2d>()->forward(features);
  }
  torch::nn::Sequential final_layers{nullptr};
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: coco_to_crowdpose RULES_DIR\n";
    return 2;
  }
  try {
    graft::rules::load_options options;
    options.include_dirs.push_back(argv[1]);
    // The shipped joint sets and their map (head and neck kept), and the head layouts of
    // rules/pose/higherhrnet_coco_to_crowdpose.graft.
    const auto rules = graft::rules::load_rules_text("coco_to_crowdpose.graft", R"(
use "joints/coco_to_crowdpose.graft"
reshape "final_layers.0.{weight,bias}" { dim 0 = coco -> crowdpose, coco -> crowdpose }
reshape "final_layers.1.{weight,bias}" { dim 0 = coco -> crowdpose }
expect mapped "final_layers.**"
)",
                                                     options);

    at::manual_seed(0);
    pose_head coco(17), crowdpose(14);  // both randomly initialised; coco plays the trained model
    const auto plan = graft::make_plan(rules, graft::tensor_set_of(coco), graft::tensor_set_of(crowdpose));
    std::cout << graft::format_report(plan);
    if (!plan.ok()) return 1;

    const auto source = graft::named_tensors(coco);
    graft::apply(
        plan, [&](std::size_t i) { return source[i].second; }, crowdpose);

    const at::Tensor features = at::randn({1, 32, 64, 64});
    const at::Tensor before = coco.heatmaps(features), after = crowdpose.heatmaps(features);
    const auto& from = rules.find_set("coco")->joints;
    const auto& to = rules.find_set("crowdpose")->joints;
    int shared = 0, identical = 0;
    std::printf("\n%-16s %-16s %s\n", "CrowdPose joint", "COCO joint", "heatmap");
    for (std::size_t d = 0; d < to.size(); ++d) {
      auto s = rules.find_set("coco")->index_of(to[d]);
      if (!s) {
        std::printf("%-16s %-16s %s\n", to[d].c_str(), "-", "fresh (kept as initialised)");
        continue;
      }
      ++shared;
      const bool same = at::allclose(after[0][static_cast<long>(d)], before[0][static_cast<long>(*s)], 1e-6, 1e-6);
      identical += same;
      std::printf("%-16s %-16s %s\n", to[d].c_str(), from[*s].c_str(), same ? "identical" : "DIFFERENT");
    }
    std::printf("\n%d of %d shared joints give identical heatmaps\n", identical, shared);
    return identical == shared && shared == 12 ? 0 : 1;
  } catch (const graft::error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
