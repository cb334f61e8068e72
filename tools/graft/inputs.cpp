#include "inputs.hpp"

#include <graft/io/shapes.hpp>
#include <graft/rules/load.hpp>

#include <CLI/CLI.hpp>

namespace graft::cli {

rules::load_options rules_options::load() const {
  rules::load_options out;
  for (const auto& d : include_dirs) out.include_dirs.emplace_back(d);
  return out;
}

void rules_options::add_to(CLI::App& cmd) {
  cmd.add_option("-I,--include-dir", include_dirs, "Folder searched by `use` after the importing file's own folder")
      ->type_name("DIR");
}

void plan_inputs::add_to(CLI::App& cmd) {
  cmd.add_option("RULES", rules_file, "Rules file (*.graft)")->required();
  cmd.add_option("--from", from, "Source: a checkpoint (.pth, .pt, .safetensors) or a manifest (.tsv)")
      ->required()
      ->type_name("SRC");
  cmd.add_option("--onto", onto, "Destination: a checkpoint or manifest of the model to fill")
      ->required()
      ->type_name("DST");
  cmd.add_option("--key", from_key, "Entry of the source checkpoint that holds the state dict")->type_name("K");
  cmd.add_option("--onto-key", onto_key, "Entry of the destination checkpoint that holds the state dict")
      ->type_name("K");
  cmd.add_flag("--lenient", lenient, "Unused sources and uncovered destinations are warnings, not errors");
  cmd.add_flag("--strict-rules", strict_rules, "A rule that matches nothing is an error, not a warning");
  rules.add_to(cmd);
}

rules::ruleset plan_inputs::load_rules() const { return rules::load_rules(rules_file, rules.load()); }
read_inputs<tensor_set> plan_inputs::read_tensor_sets() const {
  return read_all(
      [](const std::string& path, const std::optional<std::string>& k) { return io::read_tensor_set(path, k); });
}

}  // namespace graft::cli
