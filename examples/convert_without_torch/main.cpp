// Converting a checkpoint file with graft::core alone (no LibTorch): read a COCO-trained head, plan it
// against a CrowdPose template, run the plan on the checkpoint records (graft::apply_records) and write
// a .pth file PyTorch loads. The example makes its own small input files first, then checks that the 12
// shared joints' filters moved to CrowdPose's order and that head/neck kept the template's values.
//
//   convert_without_torch RULES_DIR [WORK_DIR]

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

/// An owning float32 record whose element i is fill(i).
template <class Fill>
graft::io::tensor_record make_tensor(std::string name, graft::shape_t shape, Fill fill) {
  auto values = std::make_shared<std::vector<float>>(static_cast<std::size_t>(graft::numel(shape)));
  for (std::size_t i = 0; i < values->size(); ++i) (*values)[i] = fill(i);
  graft::io::tensor_record r;
  r.name = std::move(name);
  r.type = graft::dtype::float32;
  r.shape = std::move(shape);
  r.role = graft::tensor_role::param;
  r.strides = graft::io::contiguous_strides(r.shape);
  r.storage = {reinterpret_cast<const std::byte*>(values->data()), values->size() * sizeof(float)};
  r.owner = values;
  return r;
}

/// The float32 elements of a record.
std::vector<float> floats(const graft::io::tensor_record& r) {
  const auto bytes = r.contiguous_bytes();
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: convert_without_torch RULES_DIR [WORK_DIR]\n";
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path work = argc == 3 ? fs::path(argv[2]) : fs::temp_directory_path() / "graft_convert_without_torch";
  try {
    fs::create_directories(work);
    // 1. The inputs: a "trained" COCO model (row r of the head holds 100 * r + channel) and a freshly
    //    initialised CrowdPose model (every head value -1), each with one backbone tensor.
    const auto coco = [](std::size_t i) { return static_cast<float>(100 * (i / 4) + i % 4); };
    graft::io::write_pth((work / "coco.pth").string(),
                         {make_tensor("backbone.weight", {8, 3}, [](std::size_t i) { return 0.5f * i; }),
                          make_tensor("final_layers.1.weight", {17, 4, 1, 1}, coco)});
    graft::io::write_pth((work / "crowdpose_init.pth").string(),
                         {make_tensor("backbone.weight", {8, 3}, [](std::size_t) { return 0.f; }),
                          make_tensor("final_layers.1.weight", {14, 4, 1, 1}, [](std::size_t) { return -1.f; })});

    // 2. Read, plan, apply on the records, write.
    graft::rules::load_options options;
    options.include_dirs.emplace_back(argv[1]);
    const auto rules = graft::rules::load_rules_text("head.graft", R"(
use "joints/coco_to_crowdpose.graft"
reshape "final_layers.1.weight" { dim 0 = coco -> crowdpose }
)",
                                                     options);
    const auto source = graft::io::read_checkpoint((work / "coco.pth").string());
    const auto target = graft::io::read_checkpoint((work / "crowdpose_init.pth").string());
    const auto plan = graft::make_plan(rules, {source.tensors.begin(), source.tensors.end()},
                                       {target.tensors.begin(), target.tensors.end()});
    std::cout << graft::format_report(plan);
    if (!plan.ok()) return 1;
    graft::apply_summary summary;
    const auto records = graft::apply_records(plan, source.tensors, target.tensors, &summary);
    const fs::path out = work / "crowdpose_from_coco.pth";
    graft::io::write_pth(out.string(), records);
    std::cout << "wrote " << out.string() << " (copied " << summary.copied << ", mapped " << summary.mapped << ")\n";

    // 3. Check the written file: CrowdPose row d is COCO's row of the same joint; head and neck kept.
    const auto written = graft::io::read_checkpoint(out.string());
    const auto& from = rules.find_set("coco")->joints;
    const auto& to = rules.find_set("crowdpose")->joints;
    const std::vector<float> head = floats(written.tensors.at(1));
    int failures = 0;
    for (std::size_t d = 0; d < to.size(); ++d) {
      long s = -1;
      for (std::size_t c = 0; c < from.size(); ++c)
        if (from[c] == to[d]) s = static_cast<long>(c);
      for (std::size_t ch = 0; ch < 4; ++ch) {
        const float want = s < 0 ? -1.f : static_cast<float>(100 * s + static_cast<long>(ch));
        if (head[d * 4 + ch] != want) ++failures;
      }
      std::cout << "  " << to[d] << (s < 0 ? ": kept from the template\n" : ": from COCO's " + from[s] + "\n");
    }
    if (floats(written.tensors.at(0)) != floats(source.tensors.at(0))) ++failures;
    std::cout << (failures ? "MISMATCH\n" : "the 12 shared joints moved exactly; head and neck kept\n");
    return failures ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "convert_without_torch: " << e.what() << "\n";
    return 2;
  }
}
