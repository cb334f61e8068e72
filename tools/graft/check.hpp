#pragma once
// `graft check FILE... [-I DIR]`: parse, resolve imports and validate rules files.

#include <graft/rules/load.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace graft::cli {

/// Options shared by every command that reads rules files.
struct rules_options {
  std::vector<std::string> include_dirs;

  rules::load_options load() const {
    rules::load_options out;
    for (const auto& d : include_dirs) out.include_dirs.emplace_back(d);
    return out;
  }
  void add_to(CLI::App& cmd) {
    cmd.add_option("-I,--include-dir", include_dirs, "Folder searched by `use` after the importing file's own folder")
        ->type_name("DIR");
  }
};

/// "1 joint set, 2 maps" style counting.
inline std::string count(std::size_t n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

/// One summary line of a loaded ruleset.
inline std::string summarize(const rules::ruleset& r) {
  std::size_t declared_maps = 0;
  for (const auto& m : r.maps)
    if (m->where.known()) ++declared_maps;
  return count(r.joint_sets.size(), "joint set", "joint sets") + ", " + count(declared_maps, "map", "maps") + ", " +
         count(r.renames.size(), "rename", "renames") + ", " +
         count(r.includes.size() + r.excludes.size() + r.keeps.size(), "filter", "filters") + ", " +
         count(r.reshapes.size(), "reshape", "reshapes") + ", " + count(r.expects.size(), "expect", "expects") + " (" +
         count(r.files.size(), "file", "files") + ")";
}

struct check_command {
  std::vector<std::string> files;
  rules_options rules;

  void add_to(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("check", "Parse and validate rules files (with their imports)");
    cmd->add_option("FILE", files, "Rules files (*.graft)")->required();
    rules.add_to(*cmd);
    cmd->callback([this, &exit_code] { exit_code = run(); });
  }

  int run() const {
    int status = 0;
    for (const auto& file : files) {
      try {
        const auto loaded = rules::load_rules(file, rules.load());
        std::cout << file << ": ok: " << summarize(loaded) << "\n";
      } catch (const graft::error& e) {
        std::cerr << e.what() << "\n";
        status = 2;
      }
    }
    return status;
  }
};

}  // namespace graft::cli
