#pragma once
/// \file
/// Where the graft CLI finds the shipped rules library. Force-included into the CLI only (see
/// tools/CMakeLists.txt), which defines GRAFT_INSTALLED_RULES_DIR as ::graft_cli_support::shipped_rules_dir()
/// for graft::rules::installed_rules_dirs().
///
/// Search: `<dir of the running executable>/GRAFT_CLI_RULES_FROM_BINDIR` (normally `../share/graft/rules`),
/// which is the installed rules in an install tree — wherever it was installed or moved to — and, in the
/// build tree, a link that CMake creates to the source tree's rules/; then the configured install
/// location GRAFT_CLI_RULES_INSTALL_DIR. $GRAFT_RULES_PATH still comes before both.

#include <filesystem>
#include <system_error>

// Outside namespace graft: the CLI's own code says `detail::` unqualified inside graft::cli.
namespace graft_cli_support {

/// The shipped rules folder for this executable (see the file comment).
inline std::filesystem::path shipped_rules_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path dir = (exe.parent_path() / GRAFT_CLI_RULES_FROM_BINDIR).lexically_normal();
    if (std::filesystem::is_directory(dir, ec)) return dir;
  }
  return std::filesystem::path(GRAFT_CLI_RULES_INSTALL_DIR);
}

}  // namespace graft_cli_support
