// Cutting and reordering an ImageNet classifier by class name, with graft::core alone (no LibTorch).
// The example writes a small "trained" ImageNet ResNet checkpoint whose classifier row r holds r (so a
// row says which class it came from) and two freshly initialised templates, then runs the shipped
// rules (classifiers/resnet_imagenet1k.graft) twice:
//   cut_to_ten.graft    1000 classes → the 10 of ten_classes.labels (quoted-looking names, one new class)
//   reorder_all.graft   1000 classes → the same 1000 sorted by name (imagenet1k_sorted.labels, checked here)
// Each plan is applied on the checkpoint records (graft::apply_records), written as .pth, read back, and
// every classifier row is checked against the row computed here from the class names.
//
//   imagenet_subset RULES_DIR EXAMPLE_DIR [WORK_DIR]

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr std::size_t features = 4;  // fc is Linear(features, classes); a real ResNet-18 has 512

/// A label file read here, independently of graft: one name a line, `#` comment and blank lines skipped.
std::vector<std::string> read_labels(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] == '#') continue;
    out.push_back(line.substr(first, line.find_last_not_of(' ') + 1 - first));
  }
  return out;
}

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

/// A ResNet's state dict in miniature: a trunk tensor and the classifier. Trained: fc.weight row r
/// holds 10 * r + column and fc.bias row r holds r; untrained (a fresh template): every value -1.
std::vector<graft::io::tensor_record> resnet(std::size_t classes, bool trained) {
  const auto row = [&](std::size_t r) { return trained ? static_cast<float>(r) : -1.f; };
  return {make_tensor("conv1.weight", {8, 3}, [&](std::size_t i) { return trained ? 0.5f * i : 0.f; }),
          make_tensor("layer4.1.bn2.weight", {8}, [&](std::size_t i) { return trained ? 2.f + i : 1.f; }),
          make_tensor("fc.weight", {static_cast<std::int64_t>(classes), static_cast<std::int64_t>(features)},
                      [&](std::size_t i) {
                        return trained ? row(i / features) * 10 + static_cast<float>(i % features) : -1.f;
                      }),
          make_tensor("fc.bias", {static_cast<std::int64_t>(classes)}, row)};
}

std::vector<float> floats(const graft::io::tensor_record& r) {
  const auto bytes = r.contiguous_bytes();
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

/// Plans `rules_file` from the ImageNet checkpoint onto a template with `classes`, applies, writes
/// `output`, reads it back and checks every classifier row by class name. Returns the mismatches.
int run(const fs::path& rules_file, const std::vector<fs::path>& include_dirs, const fs::path& work,
        const std::vector<std::string>& imagenet, const std::vector<std::string>& classes, const std::string& output,
        bool print_report) {
  graft::rules::load_options options;
  options.use_installed_rules = false;
  options.include_dirs = include_dirs;
  const auto rules = graft::rules::load_rules(rules_file, options);
  graft::io::write_pth((work / (output + "_init.pth")).string(), resnet(classes.size(), false));
  const auto source = graft::io::read_checkpoint((work / "resnet_imagenet.pth").string());
  const auto target = graft::io::read_checkpoint((work / (output + "_init.pth")).string());
  const auto plan = graft::make_plan(rules, {source.tensors.begin(), source.tensors.end()},
                                     {target.tensors.begin(), target.tensors.end()});
  if (print_report || !plan.ok()) std::cout << graft::format_report(plan);
  if (!plan.ok() || !plan.problems.empty()) return 1;
  const auto records = graft::apply_records(plan, source.tensors, target.tensors);
  graft::io::write_pth((work / (output + ".pth")).string(), records);
  const auto written = graft::io::read_checkpoint((work / (output + ".pth")).string());

  int failures = floats(written.tensors.at(0)) == floats(source.tensors.at(0)) ? 0 : 1;
  const auto weight = floats(written.tensors.at(2));
  const auto bias = floats(written.tensors.at(3));
  for (std::size_t d = 0; d < classes.size(); ++d) {
    const auto at = std::find(imagenet.begin(), imagenet.end(), classes[d]);
    // A class ImageNet lacks was given the mean of all ImageNet rows (cut_to_ten.graft's map).
    const double row = at != imagenet.end() ? static_cast<double>(at - imagenet.begin()) : (imagenet.size() - 1) / 2.0;
    bool ok = std::abs(bias[d] - row) < 1e-3;
    for (std::size_t c = 0; c < features; ++c) ok = ok && std::abs(weight[d * features + c] - (row * 10 + c)) < 1e-2;
    failures += !ok;
    if (print_report)
      std::cout << "  row " << d << " '" << classes[d] << "': "
                << (at != imagenet.end() ? "ImageNet class " + std::to_string(at - imagenet.begin())
                                         : std::string("the mean of all ImageNet classes"))
                << (ok ? "\n" : "  MISMATCH\n");
  }
  std::cout << output << ".pth: " << classes.size() << " classifier rows, " << failures << " mismatches\n";
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: imagenet_subset RULES_DIR EXAMPLE_DIR [WORK_DIR]\n";
    return 2;
  }
  const fs::path rules_dir = argv[1], example = argv[2];
  const fs::path work = argc == 4 ? fs::path(argv[3]) : fs::temp_directory_path() / "graft_imagenet_subset";
  try {
    fs::create_directories(work);
    const auto imagenet = read_labels(rules_dir / "labels" / "imagenet1k.labels");
    if (imagenet.size() != 1000) throw std::runtime_error("imagenet1k.labels: expected 1000 classes");
    graft::io::write_pth((work / "resnet_imagenet.pth").string(), resnet(imagenet.size(), true));

    // The label file reorder_all.graft reads must be the 1000 classes sorted by name (byte order).
    auto sorted = imagenet;
    std::sort(sorted.begin(), sorted.end());
    if (read_labels(example / "imagenet1k_sorted.labels") != sorted)
      throw std::runtime_error("imagenet1k_sorted.labels is not imagenet1k.labels sorted by name");

    int failures = run(example / "cut_to_ten.graft", {rules_dir}, work, imagenet,
                       read_labels(example / "ten_classes.labels"), "resnet_10", true);
    failures += run(example / "reorder_all.graft", {rules_dir}, work, imagenet, sorted, "resnet_sorted", false);
    std::cout << (failures ? "MISMATCH\n" : "every classifier row came from its class name\n");
    return failures ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "imagenet_subset: " << e.what() << "\n";
    return 2;
  }
}
