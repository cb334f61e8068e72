// `graft check FILE... [-I DIR]`: parse, resolve imports and validate rules files.

#include "commands.hpp"
#include "inputs.hpp"

#include <graft/detail/text.hpp>
#include <graft/rules/load.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace graft::cli {
namespace {

/// "1 label set, 2 maps" style counting.
std::string count(std::size_t n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

/// One summary line of a loaded ruleset.
std::string summarize(const rules::ruleset& r) {
  std::size_t declared_maps = 0;
  for (const auto& m : r.maps)
    if (m->where.known()) ++declared_maps;
  return count(r.joint_sets.size(), "label set", "label sets") + ", " + count(declared_maps, "map", "maps") + ", " +
         count(r.renames.size(), "rename", "renames") + ", " +
         count(r.includes.size() + r.excludes.size() + r.keeps.size(), "filter", "filters") + ", " +
         count(r.reshapes.size(), "reshape", "reshapes") + ", " + count(r.expects.size(), "expect", "expects") + " (" +
         count(r.files.size(), "file", "files") + ")";
}

struct check_command {
  std::vector<std::string> files;
  rules_options rules;

  int run() const {
    int status = 0;
    for (const auto& file : files) {
      try {
        const auto loaded = rules::load_rules(file, rules.load());
        std::cout << detail::printable(file) << ": ok: " << summarize(loaded) << "\n";
      } catch (const graft::error& e) {
        std::cerr << e.what() << "\n";
        status = 2;
      }
    }
    return status;
  }
};

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto c = std::make_shared<check_command>();  // owned by the callback, which lives as long as `app`
  auto* cmd = app.add_subcommand("check", "Parse and validate rules files (with their imports)");
  cmd->add_option("FILE", c->files, "Rules files (*.graft)")->required();
  c->rules.add_to(*cmd);
  cmd->callback([c, &exit_code] { exit_code = c->run(); });
}

}  // namespace graft::cli
