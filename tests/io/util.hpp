#pragma once
// Helpers shared by the io tests: fixture paths, expected-tensor manifests, scratch files.

#include <graft/io/tensor_record.hpp>

#include "support/catch.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace io_test {

inline std::string fixture(const std::string& name) { return std::string(GRAFT_TEST_DATA_DIR) + "/io/" + name; }

struct expected_tensor {
  std::string name, dtype, shape, hex;
};

/// The lines of a tab-separated file, each cut into its first four columns.
inline std::vector<std::array<std::string, 4>> read_columns(const std::string& file) {
  std::ifstream in(file);
  REQUIRE(in.good());
  std::vector<std::array<std::string, 4>> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::array<std::string, 4> c;
    for (auto& field : c) std::getline(ls, field, '\t');
    out.push_back(c);
  }
  return out;
}

inline std::vector<expected_tensor> load_expected(const std::string& path) {
  std::vector<expected_tensor> out;
  for (const auto& c : read_columns(path + ".expected")) out.push_back({c[0], c[1], c[2], c[3]});
  return out;
}

inline std::string hex(const std::vector<std::byte>& b) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    auto u = std::to_integer<unsigned>(x);
    s += digits[u >> 4];
    s += digits[u & 15];
  }
  return s;
}

inline std::string shape_csv(const graft::shape_t& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out;
}

/// Checks records against a fixture's manifest: same names in the same order, bit-exact bytes.
inline void check_against(const std::vector<graft::io::tensor_record>& got, const std::string& path) {
  auto want = load_expected(path);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(path << " tensor " << want[i].name);
    CHECK(got[i].name == want[i].name);
    CHECK(std::string(graft::dtype_name(got[i].type)) == want[i].dtype);
    CHECK(shape_csv(got[i].shape) == want[i].shape);
    CHECK(hex(got[i].contiguous_bytes()) == want[i].hex);
  }
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// This process's scratch root (tests run as parallel processes under ctest -j); removed at exit.
inline const std::filesystem::path& scratch_root() {
  struct root {
    std::filesystem::path path = std::filesystem::path(GRAFT_BINARY_DIR) / "io-scratch" / std::to_string(::getpid());
    ~root() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static root r;
  return r.path;
}

/// A scratch folder under the build tree, emptied at start.
inline std::filesystem::path scratch(const std::string& name) {
  auto p = scratch_root() / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline std::string write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return p.string();
}

}  // namespace io_test
