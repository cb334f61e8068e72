// The torch-free stand-in for `graft_demo make` (graft_demo needs LibTorch), so that the CLI tests that
// only need small checkpoints also run in a build without LibTorch:
//   make_checkpoint make MANIFEST OUT.pth SEED   a .pth with the manifest's names, dtypes and shapes;
//                                                floating tensors hold deterministic values in [-1, 1)
//                                                (from SEED), the others zeros
// The values differ from graft_demo's (at::randn); the tests only need them fixed per seed.

#include <graft/io/manifest.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/tensor_record.hpp>

#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

/// Deterministic values in [-1, 1) (a 64-bit LCG's high bits).
struct values {
  std::uint64_t state;
  float next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(static_cast<double>(state >> 40) / static_cast<double>(1ULL << 23) - 1.0);
  }
};

void fill(std::byte* out, graft::dtype type, std::size_t count, values& gen) {
  for (std::size_t i = 0; i < count; ++i) {
    const float f = gen.next();
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    if (type == graft::dtype::float32) {
      std::memcpy(out + i * 4, &f, 4);
    } else if (type == graft::dtype::float64) {
      const double d = f;
      std::memcpy(out + i * 8, &d, 8);
    } else if (type == graft::dtype::bfloat16) {
      const auto h = static_cast<std::uint16_t>(bits >> 16);
      std::memcpy(out + i * 2, &h, 2);
    } else if (type == graft::dtype::float16) {  // sign, exponent of 0.5, the mantissa's top 10 bits
      const auto h = static_cast<std::uint16_t>(((bits >> 16) & 0x8000U) | 0x3800U | ((bits >> 13) & 0x3FFU));
      std::memcpy(out + i * 2, &h, 2);
    }
  }
}

int make(const std::string& manifest, const std::string& out, std::uint64_t seed) {
  values gen{seed};
  std::vector<graft::io::tensor_record> records;
  for (const auto& m : graft::io::read_manifest(manifest)) {
    graft::io::tensor_record r;
    static_cast<graft::tensor_meta&>(r) = m;
    auto bytes = std::make_shared<std::vector<std::byte>>(r.nbytes());
    if (graft::dtype_is_floating(r.type)) fill(bytes->data(), r.type, static_cast<std::size_t>(r.numel()), gen);
    r.strides = graft::io::contiguous_strides(r.shape);
    r.storage = {bytes->data(), bytes->size()};
    r.owner = std::move(bytes);
    records.push_back(std::move(r));
  }
  graft::io::write_pth(out, records);
  std::cout << "made " << out << ": " << records.size() << " tensors shaped like " << manifest << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || std::string(argv[1]) != "make") {
    std::cerr << "usage: make_checkpoint make MANIFEST OUT.pth SEED\n";
    return 2;
  }
  try {
    return make(argv[2], argv[3], std::stoull(argv[4]));
  } catch (const std::exception& e) {
    std::cerr << "make_checkpoint: " << e.what() << "\n";
    return 1;
  }
}
