// Interop driver (no Catch2): `io_interop DIR` reads every file DIR/X that has a DIR/X.expected
// manifest (written by tests/data/io/make_fixtures.py with PyTorch), checks the tensors bit-exactly,
// then writes them back as DIR/graft/X.pth and DIR/graft/X.safetensors (the latter only when
// safetensors has every dtype; plus a copy of the manifest) for check_interop.py to load with PyTorch.

#include <graft/io/checkpoint.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

static std::string hex(const std::vector<std::byte>& b) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    auto u = std::to_integer<unsigned>(x);
    s += digits[u >> 4];
    s += digits[u & 15];
  }
  return s;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: io_interop DIR\n";
    return 2;
  }
  fs::path dir = argv[1];
  fs::create_directories(dir / "graft");
  int failures = 0, files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".expected") continue;
    fs::path src = e.path();
    src.replace_extension();
    if (src.extension() == ".zip") continue;
    ++files;
    try {
      auto ck = graft::io::read_checkpoint(src.string());
      std::ifstream in(e.path());
      std::string line;
      std::size_t i = 0;
      while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string name, dt, shape, want;
        std::getline(ls, name, '\t');
        std::getline(ls, dt, '\t');
        std::getline(ls, shape, '\t');
        std::getline(ls, want, '\t');
        if (i >= ck.tensors.size()) {
          std::cerr << src << ": missing tensor " << name << "\n";
          ++failures;
          break;
        }
        const auto& r = ck.tensors[i++];
        std::string got_shape;
        for (std::size_t d = 0; d < r.shape.size(); ++d) got_shape += (d ? "," : "") + std::to_string(r.shape[d]);
        if (r.name != name || graft::dtype_name(r.type) != dt || got_shape != shape ||
            hex(r.contiguous_bytes()) != want) {
          std::cerr << src << ": tensor " << name << " differs (got " << r.name << " " << graft::dtype_name(r.type)
                    << " [" << got_shape << "])\n";
          ++failures;
        }
      }
      if (i != ck.tensors.size()) {
        std::cerr << src << ": " << ck.tensors.size() - i << " unexpected extra tensors\n";
        ++failures;
      }
      std::string stem = src.filename().string();
      graft::io::pth_write_options opt;
      opt.inputs = {src.string()};
      graft::io::write_pth((dir / "graft" / (stem + ".pth")).string(), ck.tensors, opt);
      opt.force_zip64 = true;  // zip64 records must be readable by PyTorch too
      graft::io::write_pth((dir / "graft" / (stem + ".z64.pth")).string(), ck.tensors, opt);
      opt.force_zip64 = false;
      bool safetensors_can = true;  // safetensors has no complex or fnuz float8 dtypes
      for (const auto& r : ck.tensors)
        safetensors_can = safetensors_can && !graft::dtype_info(r.type).safetensors.empty();
      if (safetensors_can)
        graft::io::write_safetensors((dir / "graft" / (stem + ".safetensors")).string(), ck.tensors, {{"source", stem}},
                                     opt);
      fs::copy_file(e.path(), dir / "graft" / (stem + ".expected"), fs::copy_options::overwrite_existing);
      std::cout << "ok " << src.filename().string() << " (" << ck.format << ", " << ck.tensors.size() << " tensors)\n";
    } catch (const std::exception& ex) {
      std::cerr << ex.what() << "\n";
      ++failures;
    }
  }
  if (files == 0) {
    std::cerr << dir << ": no fixtures found\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
