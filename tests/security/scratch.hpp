#pragma once
// Scratch folders for the security tests: one root per test process (ctest runs them in parallel),
// removed at exit, FIFOs and links included.

#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace security_test {

/// This process's scratch root for `area` (under the build tree), removed at exit.
inline const std::filesystem::path& scratch_root(const std::string& area) {
  struct dir {
    std::filesystem::path path;
    ~dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static dir d{std::filesystem::path(GRAFT_BINARY_DIR) / "security-scratch" /
               (area + "-" + std::to_string(::getpid()))};
  return d.path;
}

/// An empty folder `name` under scratch_root(area).
inline std::filesystem::path fresh_folder(const std::string& area, const std::string& name) {
  const std::filesystem::path p = scratch_root(area) / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace security_test
