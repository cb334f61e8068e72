#pragma once
/// \file
/// Where `use "x.graft"` looks: the load options' folders and the installed rules folders.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

namespace graft::rules {

/// Where `use "x.graft"` looks after the importing file's own folder.
struct load_options {
  std::vector<std::filesystem::path> include_dirs;  ///< `-I` folders, in order
  bool use_installed_rules = true;                  ///< then the installed rules/ (see installed_rules_dirs())
};

#ifndef GRAFT_RULES_FROM_BINDIR
/// Where the shipped rules sit relative to the folder of the running program (the install layout).
#define GRAFT_RULES_FROM_BINDIR "../share/graft/rules"
#endif

/// The shipped rules folder next to the running program (`<its folder>/../share/graft/rules`), if there is one.
inline std::optional<std::filesystem::path> rules_dir_beside_program() {
#ifdef __linux__
  std::error_code ec;
  const std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  std::filesystem::path dir = (program.parent_path() / GRAFT_RULES_FROM_BINDIR).lexically_normal();
  if (std::filesystem::is_directory(dir, ec)) return dir;
#endif
  return std::nullopt;
}

/// The installed rules folders, in search order: $GRAFT_RULES_PATH (colon-separated), the shipped rules
/// beside the running program (an install tree, wherever it was moved), then GRAFT_INSTALLED_RULES_DIR
/// (set by the graft::core target: the source tree's rules/ in a build tree, the installed ones through
/// find_package). Folders are listed once each.
inline std::vector<std::filesystem::path> installed_rules_dirs() {
  std::vector<std::filesystem::path> out;
  const auto add = [&out](std::filesystem::path dir) {
    dir = dir.lexically_normal();
    if (!dir.has_filename() && dir.has_parent_path() && dir != dir.root_path()) dir = dir.parent_path();
    for (const auto& seen : out)
      if (seen == dir) return;
    out.push_back(std::move(dir));
  };
  if (const char* env = std::getenv("GRAFT_RULES_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t colon = s.find(':', start);
      const std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) add(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  if (auto beside = rules_dir_beside_program()) add(*beside);
#ifdef GRAFT_INSTALLED_RULES_DIR
  add(GRAFT_INSTALLED_RULES_DIR);
#endif
  return out;
}

}  // namespace graft::rules
