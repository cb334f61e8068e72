// Support for scripts/demo (no Python needed):
//   graft_demo make MANIFEST OUT SEED       a checkpoint (.pth/.pt or .safetensors, by OUT's extension)
//                                           with a manifest's names, dtypes and shapes and deterministic
//                                           random values
//   graft_demo verify SRC TEMPLATE OUT      checks a COCO -> CrowdPose HigherHRNet transfer: the 12
//                                           shared joints' heatmap filters equal the COCO ones (found by
//                                           joint name), head and neck equal the template

#include <graft/io/checkpoint.hpp>
#include <graft/io/manifest.hpp>
#include <graft/torch/tensor.hpp>

#include <ATen/ATen.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

const std::vector<std::string> coco = {"nose",          "left_eye",       "right_eye",  "left_ear",    "right_ear",
                                       "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
                                       "right_wrist",   "left_hip",       "right_hip",  "left_knee",   "right_knee",
                                       "left_ankle",    "right_ankle"};
const std::vector<std::string> crowdpose = {
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",  "right_wrist", "left_hip",
    "right_hip",     "left_knee",      "right_knee", "left_ankle",  "right_ankle", "head",        "neck"};

int make(const std::string& manifest, const std::string& out, int seed) {
  const graft::tensor_set shapes = graft::io::read_manifest(manifest);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(seed));
  std::vector<graft::io::tensor_record> records;
  for (const auto& m : shapes) {
    const auto options = at::TensorOptions().dtype(graft::to_scalar_type(m.type));
    at::Tensor t = graft::dtype_is_floating(m.type) ? at::randn(m.shape, gen, options) : at::zeros(m.shape, options);
    records.push_back(graft::to_record(t, m.name, m.role));
  }
  graft::io::write_checkpoint(out, records);  // .pth/.pt or .safetensors, by the extension
  std::cout << "made " << out << ": " << records.size() << " tensors shaped like " << manifest << "\n";
  return 0;
}

std::map<std::string, at::Tensor> load(const std::string& path, graft::io::checkpoint& keep) {
  keep = graft::io::read_checkpoint(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& r : keep.tensors) out[r.name] = graft::to_tensor(r);
  return out;
}

int verify(const std::string& src_path, const std::string& template_path, const std::string& out_path) {
  graft::io::checkpoint a, b, c;
  auto src = load(src_path, a), templ = load(template_path, b), out = load(out_path, c);
  int failures = 0;
  std::printf("%-16s %-10s %s\n", "CrowdPose joint", "from", "final_layers.1.weight row");
  for (std::size_t d = 0; d < crowdpose.size(); ++d) {
    long s = -1;
    for (std::size_t i = 0; i < coco.size(); ++i)
      if (coco[i] == crowdpose[d]) s = static_cast<long>(i);
    const at::Tensor row = out.at("final_layers.1.weight")[static_cast<long>(d)];
    const bool ok = s >= 0 ? at::equal(row, src.at("final_layers.1.weight")[s])
                           : at::equal(row, templ.at("final_layers.1.weight")[static_cast<long>(d)]);
    failures += ok ? 0 : 1;
    std::printf("%-16s %-10s %s\n", crowdpose[d].c_str(), s >= 0 ? ("coco " + std::to_string(s)).c_str() : "template",
                ok ? "identical" : "DIFFERENT");
  }
  std::size_t copied = 0;
  for (const auto& [name, t] : out) {
    auto it = src.find(name);
    if (it != src.end() && it->second.sizes() == t.sizes()) {
      if (!at::equal(it->second, t)) {
        std::printf("DIFFERENT: %s\n", name.c_str());
        ++failures;
      }
      ++copied;
    }
  }
  std::printf("%zu same-shaped tensors identical to the source; %s\n", copied,
              failures ? "FAILED" : "the transfer is exact");
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "make" && argc == 5) return make(argv[2], argv[3], std::stoi(argv[4]));
    if (cmd == "verify" && argc == 5) return verify(argv[2], argv[3], argv[4]);
    std::cerr << "usage: graft_demo make MANIFEST OUT SEED | graft_demo verify SRC TEMPLATE OUT\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "graft_demo: " << e.what() << "\n";
    return 2;
  }
}
